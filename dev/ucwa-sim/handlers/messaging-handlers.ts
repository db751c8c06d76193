import { errors } from '../errors.js';
import { emptyResponse, jsonResponse, mediaType, type SimResponse } from '../http-types.js';
import type { Application, Conversation } from '../model.js';
import {
  addMessaging,
  outgoingMessage,
  recordSend,
  type SentText,
  stopMessaging,
} from '../outgoing-messaging.js';
import type { AppRoute } from '../paths.js';
import { link } from '../render-context.js';
import { renderMessage, renderMessages, renderMessaging } from '../resources/conversation-resource.js';
import { firstMessage } from './communication-handlers.js';
import { type HandlerContext, operationIdOf, type ResolvedRoute, readJsonBody } from './context.js';

function notConnected(): SimResponse {
  return errors.conflict(undefined, 'Messaging is not connected in this conversation.');
}

/**
 * sendMessage (docs/ucwa-protocol.md §9): raw text/plain (or text/html when Html was negotiated) → 201 + Location of the
 * message, then a `message` completed event. A repeated operationId answers the first message's Location
 * without sending twice. operationId is optional here (the task page sends OperationContext instead).
 */
function sendMessage(conversation: Conversation) {
  return ({ world, app, req, r }: HandlerContext): SimResponse => {
    if (conversation.messagingState !== 'Connected') return notConnected();
    const type = mediaType(req.headers['content-type']);
    if (type !== 'text/plain' && type !== 'text/html') {
      return errors.unsupportedMediaType('sendMessage takes text/plain (or text/html).');
    }
    if (type === 'text/html' && !conversation.negotiatedFormats.includes('Html')) {
      return errors.unsupportedMediaType('Html was not negotiated for this conversation.');
    }
    const operationId = operationIdOf(req);
    const earlier = operationId ? conversation.messagesByOperation.get(operationId) : undefined;
    if (earlier) return emptyResponse(201, { Location: r.href(app.paths.message(conversation.id, earlier)) });
    const text = req.body.toString('utf8');
    const sent: SentText = { text, contentType: type, operationId };
    recordSend(world, app, conversation, sent);
    const message = outgoingMessage(world, app, conversation, sent);
    return emptyResponse(201, { Location: r.href(app.paths.message(conversation.id, message.id)) });
  };
}

type MessagingRoute = Extract<AppRoute, { conv: string }>;

export function messagingRoute(
  app: Application,
  conversation: Conversation,
  route: MessagingRoute,
): ResolvedRoute | SimResponse {
  const family = app.paths.family;
  switch (route.r) {
    case 'messaging':
      return {
        scope: 'messaging',
        methods: { GET: ({ r }) => jsonResponse(200, renderMessaging(r, conversation)) },
      };
    case 'sendMessage':
      return { scope: 'sendMessage', methods: { POST: sendMessage(conversation) } };
    case 'messages': {
      // The task pages post messages to `messaging/messages`; the reference GETs the collection there.
      const list = ({ r }: HandlerContext) => jsonResponse(200, renderMessages(r, conversation));
      return family === 'oauth'
        ? { scope: 'messages', methods: { GET: list, POST: sendMessage(conversation) } }
        : { scope: 'messages', methods: { GET: list } };
    }
    case 'message': {
      const message = conversation.messages.get(route.m);
      if (!message) return errors.resourceNotFound('No such message.');
      return {
        scope: 'message',
        methods: { GET: ({ r }) => jsonResponse(200, renderMessage(r, conversation, message)) },
      };
    }
    case 'messagingAction':
      switch (route.action) {
        case 'stopMessaging':
          return {
            scope: 'stopMessaging',
            methods: {
              POST: ({ world }) => {
                if (conversation.messagingState !== 'Connected') return notConnected();
                stopMessaging(world, app, conversation);
                return emptyResponse(204);
              },
            },
          };
        case 'setIsTyping':
          return {
            scope: 'setIsTyping',
            methods: {
              POST: () => (conversation.messagingState === 'Connected' ? emptyResponse(204) : notConnected()),
            },
          };
        case 'typingParticipants':
          return {
            scope: 'typingParticipants',
            methods: {
              GET: ({ r }) =>
                jsonResponse(200, {
                  rel: 'typingParticipants',
                  _links: {
                    self: link(r.href(app.paths.messagingAction(conversation.id, 'typingParticipants'))),
                  },
                }),
            },
          };
        case 'addMessaging':
          return {
            scope: 'addMessaging',
            methods: {
              POST: (ctx) => {
                if (conversation.messagingState !== 'Disconnected' || conversation.state === 'Incoming') {
                  return errors.conflict(undefined, 'Messaging is already active or pending.');
                }
                const body = readJsonBody(ctx.req);
                if (!body.ok) return body.response;
                const operationId = operationIdOf(ctx.req, body.value);
                const message = firstMessage(body.value);
                const invitation = addMessaging(ctx.world, app, conversation, {
                  ...(operationId !== undefined ? { operationId } : {}),
                  ...(message !== undefined ? { message } : {}),
                });
                return emptyResponse(201, {
                  Location: ctx.r.href(app.paths.invitation('messaging', invitation.id)),
                });
              },
            },
          };
      }
      return errors.resourceNotFound();
    default:
      return errors.resourceNotFound();
  }
}
