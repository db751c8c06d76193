import { encodeDataUri } from '../data-uri.js';
import type { Invitation } from '../model.js';
import type { InvitationAction } from '../paths.js';
import { type Json, link, type RenderContext } from '../render-context.js';
import { renderParticipant } from './participant-resource.js';

/** What a pending incoming invitation of each kind offers (docs/ucwa-protocol.md §7.3). */
export function incomingActions(invitation: Invitation): InvitationAction[] {
  switch (invitation.kind) {
    case 'messaging':
    case 'onlineMeeting':
      return ['accept', 'decline'];
    case 'audioVideo':
      return ['acceptWithAnswer', 'decline'];
    case 'phoneAudio':
      return ['decline'];
  }
}

export function offeredInvitationActions(invitation: Invitation): InvitationAction[] {
  if (!invitation.pending) return [];
  return invitation.direction === 'Incoming' ? incomingActions(invitation) : ['cancel'];
}

/**
 * An invitation (docs/ucwa-protocol.md §7.1): rel is the type name. `withoutActions` renders it as the ReceiveAnIM `updated`
 * event shows it, with accept/decline gone although they still work.
 */
export function renderInvitation(
  r: RenderContext,
  invitation: Invitation,
  opts: { withoutActions?: boolean } = {},
): Json {
  const paths = r.app.paths;
  const conversation = invitation.conversation;
  const details = invitation.details;
  const body: Json = { rel: invitation.rel };
  if (invitation.kind === 'onlineMeeting') {
    body.availableModalities = ['Messaging'];
  }
  body.direction = invitation.direction;
  body.importance = details.importance;
  if (invitation.kind === 'audioVideo') {
    body.joinAudioMuted = false;
    body.joinVideoMuted = false;
  }
  if (invitation.kind === 'onlineMeeting' && details.onlineMeetingUri)
    body.onlineMeetingUri = details.onlineMeetingUri;
  if (details.operationId) body.operationId = details.operationId;
  if (invitation.kind === 'phoneAudio' && details.from) {
    const phone = details.from.facts().workPhoneNumber;
    if (phone) body.phoneNumber = phone;
  }
  if (invitation.kind === 'audioVideo' || invitation.kind === 'phoneAudio') body.privateLine = false;
  body.state = invitation.state;
  body.subject = details.subject;
  body.threadId = conversation.threadId;
  body.to = details.to;

  const links: Json = { self: link(r.href(paths.invitation(invitation.kind, invitation.id))) };
  if (
    details.message !== undefined &&
    (invitation.kind === 'messaging' || invitation.kind === 'onlineMeeting')
  ) {
    links.message = link(encodeDataUri(details.message, 'text/plain', details.messageEncoding));
  }
  if (details.from && details.fromAlias) {
    links.from = link(
      r.href(paths.participant(conversation.id, details.fromAlias)),
      details.from.name || undefined,
    );
  }
  if (!opts.withoutActions) {
    for (const action of offeredInvitationActions(invitation)) {
      links[action] = link(r.href(paths.invitationAction(invitation.kind, invitation.id, action)));
    }
  }
  links.conversation = link(r.href(paths.conversation(conversation.id)));
  if (invitation.kind === 'messaging') links.messaging = link(r.href(paths.messaging(conversation.id)));
  if (invitation.kind === 'audioVideo') links.audioVideo = link(r.href(paths.audioVideo(conversation.id)));
  if (invitation.kind === 'phoneAudio') links.phoneAudio = link(r.href(paths.phoneAudio(conversation.id)));
  body._links = links;

  if (details.from && details.embedFrom) {
    body._embedded = { from: renderParticipant(r, conversation, details.from) };
  }
  return body;
}
