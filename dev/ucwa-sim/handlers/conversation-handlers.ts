import { errors, ucwaError } from '../errors.js';
import { emptyResponse, jsonResponse, type SimResponse } from '../http-types.js';
import { lobbyOperation } from '../meeting-operations.js';
import type { Application, Conversation, Person } from '../model.js';
import type { AppRoute } from '../paths.js';
import {
  renderConversation,
  renderLobby,
  renderMediaModality,
  renderOnlineMeeting,
  renderParticipantList,
} from '../resources/conversation-resource.js';
import {
  offeredOperations,
  renderParticipant,
  renderParticipantMessaging,
} from '../resources/participant-resource.js';
import type { HandlerContext, ResolvedRoute } from './context.js';
import { messagingRoute } from './messaging-handlers.js';

export function conversationNotFound(): SimResponse {
  return ucwaError(404, {
    code: 'NotFound',
    subcode: 'ConversationNotFound',
    message: 'The conversation does not exist (any more).',
  });
}

function participantNotFound(): SimResponse {
  return errors.resourceNotFound('The participant is not in the conversation (any more).');
}

type ConversationRoute = Extract<AppRoute, { conv: string }>;

export function conversationRoute(app: Application, route: ConversationRoute): ResolvedRoute | SimResponse {
  const conversation = app.conversations.get(route.conv);
  if (!conversation) return conversationNotFound();
  switch (route.r) {
    case 'conversation':
      return {
        scope: 'conversation',
        methods: {
          GET: ({ r }) => jsonResponse(200, renderConversation(r, conversation)),
          DELETE: ({ world }) => {
            world.leaveConversation(app, conversation);
            return emptyResponse(204);
          },
        },
      };
    case 'participants':
      return {
        scope: 'participants',
        methods: {
          GET: ({ r }) => jsonResponse(200, renderParticipantList(r, conversation, 'participants')),
        },
      };
    case 'leaders':
    case 'attendees': {
      const which = route.r;
      if (!conversation.meeting) return errors.resourceNotFound('Not an online meeting.');
      return {
        scope: which,
        methods: { GET: ({ r }) => jsonResponse(200, renderParticipantList(r, conversation, which)) },
      };
    }
    case 'lobby':
      if (!conversation.meeting) return errors.resourceNotFound('Not an online meeting.');
      return { scope: 'lobby', methods: { GET: ({ r }) => jsonResponse(200, renderLobby(r, conversation)) } };
    case 'onlineMeeting':
      return {
        scope: 'onlineMeeting',
        methods: {
          GET: ({ r }) => {
            const body = renderOnlineMeeting(r, conversation);
            return body ? jsonResponse(200, body) : errors.resourceNotFound('Not an online meeting.');
          },
        },
      };
    case 'audioVideo':
    case 'phoneAudio': {
      const rel = route.r;
      if (conversation.kind !== rel) return errors.resourceNotFound(`No ${rel} in this conversation.`);
      return {
        scope: rel,
        methods: { GET: ({ r }) => jsonResponse(200, renderMediaModality(r, conversation, rel)) },
      };
    }
    case 'participant':
      return participantRoute(conversation, route.p);
    case 'participantMessaging': {
      const person =
        conversation.byId(route.p) ??
        (conversation.idOf(conversation.local) === route.p ? conversation.local : undefined);
      if (!person || !conversation.messagingPeople.has(person)) return errors.resourceNotFound();
      return {
        scope: 'participantMessaging',
        methods: { GET: ({ r }) => jsonResponse(200, renderParticipantMessaging(r, conversation, person)) },
      };
    }
    case 'participantAction':
      return participantActionRoute(conversation, route.p, route.action);
    default:
      return messagingRoute(app, conversation, route);
  }
}

/** A participant id is a roster/lobby member, the account itself (localParticipant) or an invitation's `from`. */
function participantRoute(conversation: Conversation, id: string): ResolvedRoute | SimResponse {
  const alias = conversation.fromAliases.get(id);
  if (alias && alias.where !== 'gone') {
    const path = (ctx: HandlerContext) => ctx.app.paths.participant(conversation.id, id);
    return {
      scope: 'from',
      methods: {
        GET: (ctx) =>
          jsonResponse(
            200,
            renderParticipant(ctx.r, conversation, alias, { rel: 'from', selfPath: path(ctx) }),
          ),
      },
    };
  }
  if (conversation.idOf(conversation.local) === id) {
    return {
      scope: 'localParticipant',
      methods: {
        GET: ({ r }) =>
          jsonResponse(
            200,
            renderParticipant(r, conversation, conversation.local, { rel: 'localParticipant' }),
          ),
      },
    };
  }
  const person = conversation.byId(id);
  if (!person) return participantNotFound();
  return {
    scope: 'participant',
    methods: { GET: ({ r }) => jsonResponse(200, renderParticipant(r, conversation, person)) },
  };
}

/**
 * admit / reject / eject → 204. Someone no longer there → 404 ResourceNotFound; admit/reject on someone who
 * left the lobby → 409 Conflict; an operation the participant does not offer the account → 403 Forbidden.
 */
function participantActionRoute(
  conversation: Conversation,
  id: string,
  op: 'admit' | 'reject' | 'eject',
): ResolvedRoute | SimResponse {
  const person: Person | undefined = conversation.byId(id);
  if (!person) return participantNotFound();
  return {
    scope: op,
    methods: {
      POST: ({ world, app }) => {
        if (person.where === 'gone' || !conversation.byId(id)) return participantNotFound();
        if (!offeredOperations(conversation, person).includes(op)) {
          if (
            (op === 'admit' || op === 'reject') &&
            person.where !== 'lobby' &&
            conversation.meeting?.accountIsLeader
          ) {
            return errors.conflict(undefined, 'The participant is no longer in the lobby.');
          }
          return errors.forbidden('NotAllowed', `${op} is not offered on this participant.`);
        }
        lobbyOperation(world, { app, conversation }, person, op);
        return emptyResponse(204);
      },
    },
  };
}
