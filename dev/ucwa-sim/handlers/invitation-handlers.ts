import { errors } from '../errors.js';
import { emptyResponse, jsonResponse, type SimResponse } from '../http-types.js';
import { acceptInvitation, cancelInvitation, declineInvitation } from '../incoming-invitations.js';
import type { Application, Invitation } from '../model.js';
import type { InvitationAction } from '../paths.js';
import { incomingActions, renderInvitation } from '../resources/invitation-resource.js';
import type { InvitationKind } from '../types.js';
import { type HandlerContext, type ResolvedRoute, readJsonBody, stringProp } from './context.js';

const DECLINE_REASONS = new Set([
  'Unknown',
  'Local',
  'Global',
  'MediaAllocationFailure',
  'EncryptionMismatch',
  'IPv6NotSupported',
  'MediaConnectivityFailure',
  'CodecMismatch',
  'UnsupportedMedia',
  'InvalidMediaOffer',
  'InsufficientBandwidth',
  'InsufficientBandwidthRerouteOverPstn',
]);

/** The invitation behind an id; in the oauth family the collection name must match its kind. */
export function findInvitation(
  app: Application,
  id: string,
  kind: InvitationKind | undefined,
): Invitation | undefined {
  const invitation = app.invitations.get(id);
  if (!invitation || (kind && invitation.kind !== kind)) return undefined;
  return invitation;
}

/**
 * Acting on an invitation. The operation must be one its kind and direction offer (else 403), and the
 * invitation must still be pending (else 409 Conflict): accept/decline hrefs cached from `started` keep
 * working while it is pending even when a later `updated` event left them out (docs/ucwa-protocol.md §7.3).
 */
function act(action: InvitationAction) {
  return (ctx: HandlerContext, invitation: Invitation): SimResponse => {
    const offers: InvitationAction[] =
      invitation.direction === 'Incoming' ? incomingActions(invitation) : ['cancel'];
    if (!offers.includes(action)) {
      return errors.forbidden(
        'NotAllowed',
        `${action} is not offered on a ${invitation.direction} ${invitation.rel}.`,
      );
    }
    if (!invitation.pending) {
      return errors.conflict(undefined, `The invitation is no longer pending (state ${invitation.state}).`);
    }
    if (action === 'decline') {
      const body = readJsonBody(ctx.req);
      if (!body.ok) return body.response;
      const reason = stringProp(body.value, 'reason');
      if (reason !== undefined && !DECLINE_REASONS.has(reason)) {
        return errors.parameterValidation('Invalid decline reason.', {
          reason: [...DECLINE_REASONS].join('|'),
        });
      }
      declineInvitation(ctx.world, ctx.app, invitation, reason);
    } else if (action === 'cancel') {
      cancelInvitation(ctx.world, ctx.app, invitation, true);
    } else {
      acceptInvitation(ctx.world, ctx.app, invitation);
    }
    return emptyResponse(204);
  };
}

export function invitationRoute(
  app: Application,
  id: string,
  kind: InvitationKind | undefined,
  action?: InvitationAction,
): ResolvedRoute | SimResponse {
  const invitation = findInvitation(app, id, kind);
  if (!invitation) return errors.resourceNotFound('No such invitation.');
  if (!action) {
    return {
      scope: invitation.rel,
      methods: { GET: ({ r }) => jsonResponse(200, renderInvitation(r, invitation)) },
    };
  }
  const handler = act(action);
  return { scope: action, methods: { POST: (ctx) => handler(ctx, invitation) } };
}
