import { decodeDataUri } from '../data-uri.js';
import { errors, ucwaError } from '../errors.js';
import { emptyResponse, jsonResponse, type SimResponse } from '../http-types.js';
import { joinMeeting } from '../meeting-operations.js';
import { startMessaging } from '../outgoing-messaging.js';
import { link } from '../render-context.js';
import {
  type HandlerContext,
  operationIdOf,
  prop,
  type ResolvedRoute,
  readJsonBody,
  stringProp,
} from './context.js';

const IMPORTANCE = new Set(['Normal', 'Urgent', 'Emergency']);

function created(ctx: HandlerContext, path: string): SimResponse {
  return emptyResponse(201, { Location: ctx.r.href(path) });
}

/** joinOnlineMeeting (docs/ucwa-protocol.md §10.1): onlineMeetingUri in the body or the query; unknown meeting → 404 DestinationNotFound. */
function postJoinOnlineMeeting(ctx: HandlerContext): SimResponse {
  const body = readJsonBody(ctx.req);
  if (!body.ok) return body.response;
  const query = ctx.req.url.searchParams;
  const onlineMeetingUri =
    stringProp(body.value, 'onlineMeetingUri') ?? query.get('onlineMeetingUri') ?? undefined;
  const importance = stringProp(body.value, 'importance');
  if (importance !== undefined && !IMPORTANCE.has(importance)) {
    return errors.parameterValidation('Invalid importance.', { importance: 'Normal|Urgent|Emergency' });
  }
  const operationId = operationIdOf(ctx.req, body.value);
  const subject = stringProp(body.value, 'subject');
  const threadId = stringProp(body.value, 'threadId');
  const invitation = joinMeeting(ctx.world, ctx.app, {
    ...(onlineMeetingUri !== undefined ? { onlineMeetingUri } : {}),
    ...(operationId !== undefined ? { operationId } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(importance !== undefined ? { importance } : {}),
    ...(threadId !== undefined ? { threadId } : {}),
  });
  if (!invitation) {
    return ucwaError(404, {
      code: 'NotFound',
      subcode: 'DestinationNotFound',
      message: `No online meeting ${onlineMeetingUri ?? ''} exists.`,
    });
  }
  return created(ctx, ctx.app.paths.invitation('onlineMeeting', invitation.id));
}

/** The first message may come as a `message` property or, as in the reference sample, as `_links.message`. */
function firstMessage(body: Record<string, unknown>): string | undefined {
  const links = prop(body, '_links');
  const fromLinks =
    links && typeof links === 'object' && 'message' in links
      ? (links as { message?: { href?: unknown } }).message?.href
      : undefined;
  const raw = typeof fromLinks === 'string' ? fromLinks : stringProp(body, 'message');
  if (raw === undefined) return undefined;
  return decodeDataUri(raw) ?? raw;
}

/** startMessaging (docs/ucwa-protocol.md §9): `to` required; 201 + Location of the outgoing messagingInvitation. */
function postStartMessaging(ctx: HandlerContext): SimResponse {
  const body = readJsonBody(ctx.req);
  if (!body.ok) return body.response;
  const to = stringProp(body.value, 'to') ?? ctx.req.url.searchParams.get('to') ?? undefined;
  if (!to || !/^sip:[^@\s]+@[^@\s]+$/i.test(to.trim())) {
    return errors.parameterValidation('`to` must be a SIP URI.', { to: 'sip:user@domain' });
  }
  const importance = stringProp(body.value, 'importance');
  if (importance !== undefined && !IMPORTANCE.has(importance)) {
    return errors.parameterValidation('Invalid importance.', { importance: 'Normal|Urgent|Emergency' });
  }
  const operationId = operationIdOf(ctx.req, body.value);
  const subject = stringProp(body.value, 'subject');
  const threadId = stringProp(body.value, 'threadId');
  const message = firstMessage(body.value);
  const invitation = startMessaging(ctx.world, ctx.app, {
    to: to.trim(),
    ...(subject !== undefined ? { subject } : {}),
    ...(importance !== undefined ? { importance } : {}),
    ...(operationId !== undefined ? { operationId } : {}),
    ...(threadId !== undefined ? { threadId } : {}),
    ...(message !== undefined ? { message } : {}),
  });
  return created(ctx, ctx.app.paths.invitation('messaging', invitation.id));
}

export { firstMessage };

export function communicationRoutes(r: string): ResolvedRoute | undefined {
  switch (r) {
    case 'conversations':
      return {
        scope: 'conversations',
        methods: {
          GET: ({ r: rc, app }) =>
            jsonResponse(200, {
              rel: 'conversations',
              _links: {
                self: link(rc.href(app.paths.conversations)),
                conversation: [...app.conversations.values()].map((c) =>
                  link(rc.href(app.paths.conversation(c.id))),
                ),
              },
            }),
        },
      };
    case 'startMessaging':
      return { scope: 'startMessaging', methods: { POST: postStartMessaging } };
    case 'joinOnlineMeeting':
      return { scope: 'joinOnlineMeeting', methods: { POST: postJoinOnlineMeeting } };
    default:
      return undefined;
  }
}
