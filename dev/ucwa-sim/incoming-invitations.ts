/** Invitations that reach the account: delivery, accept, decline, cancel, and the IMs that follow. */

import { completeMeetingJoin, defineMeeting, meetingArrive } from './meeting-operations.js';
import {
  type Application,
  type Conversation,
  type ConversationKind,
  Invitation,
  type MeetingState,
  type Message,
  Person,
  remoteDefaults,
} from './model.js';
import type { IncomingInvitationOptions } from './types.js';
import { normalizeMeetingUri, type World } from './world.js';

/**
 * The registered modalities that let each kind through (makeMeAvailable_ref.md: invitations for the modalities
 * of the user's choice). Meetings: UCWA joins them for IM only, so Messaging (inference).
 */
const NEEDS: Record<IncomingInvitationOptions['kind'], string[]> = {
  messaging: ['Messaging'],
  phoneAudio: ['PhoneAudio'],
  audioVideo: ['Audio', 'Video'],
  onlineMeeting: ['Messaging'],
};

export function deliverIncoming(
  world: World,
  options: IncomingInvitationOptions,
): { app: Application; invitation: Invitation; from: Person } | undefined {
  const app = world.currentApplication();
  if (!app?.available) {
    world.undelivered.push({
      at: world.timers.now(),
      reason: app ? 'notAvailable' : 'noApplication',
      options,
    });
    return undefined;
  }
  if (
    world.opts.deliverRegisteredModalitiesOnly &&
    !NEEDS[options.kind].some((modality) => app.supportedModalities.includes(modality))
  ) {
    world.undelivered.push({ at: world.timers.now(), reason: 'modalityNotRegistered', options });
    return undefined;
  }
  const subject = options.subject ?? '';
  const importance = options.importance ?? 'Normal';
  let meeting: MeetingState | undefined;
  const uri = typeof options.from.uri === 'string' ? options.from.uri : undefined;
  const from = new Person(
    `from-${app.nextId()}`,
    options.from,
    remoteDefaults('Attendee', world.defaultNetwork(options.from)),
  );
  if (options.kind === 'onlineMeeting') {
    meeting = options.onlineMeetingUri
      ? world.meetings.get(normalizeMeetingUri(options.onlineMeetingUri))
      : undefined;
    meeting ??= defineMeeting(world, {
      onlineMeetingUri: options.onlineMeetingUri ?? world.adHocMeetingUri(uri ?? world.opts.account.uri),
      subject,
      organizer: options.from,
      accountIsLeader: false,
    });
  }
  const kind: ConversationKind =
    options.kind === 'messaging' ? 'im' : options.kind === 'onlineMeeting' ? 'meeting' : options.kind;
  const conversation = world.newConversation(app, kind, { subject, importance }, meeting);
  conversation.state = 'Incoming';
  let sender = from;
  if (meeting) {
    const organizer = meeting.organizer;
    sender =
      organizer && (!uri || organizer.uri?.toLowerCase() === uri.toLowerCase())
        ? organizer
        : meetingArrive(world, meeting, options.from, { where: 'roster' });
  }
  if (!meeting) conversation.peers.push(sender);
  if (options.kind === 'messaging') conversation.messagingState = 'Connecting';
  if (options.kind === 'audioVideo' || options.kind === 'phoneAudio') conversation.mediaState = 'Connecting';
  const fromAlias = app.nextId();
  conversation.fromAliases.set(fromAlias, sender);
  const invitation = new Invitation(
    { id: app.nextId(), kind: options.kind, direction: 'Incoming', conversation: conversation },
    {
      subject,
      importance,
      to: world.opts.account.uri,
      ...(options.message !== undefined ? { message: options.message } : {}),
      messageEncoding: options.messageEncoding ?? 'url',
      ...(meeting ? { onlineMeetingUri: meeting.onlineMeetingUri } : {}),
      from: sender,
      fromAlias,
      embedFrom: options.embedFrom ?? true,
    },
  );
  app.invitations.set(invitation.id, invitation);

  world.emitInvitationEvent(app, invitation, 'started', {
    embed: options.embedInvitation ?? true,
    ...(options.embeddedFromPatch ? { fromPatch: options.embeddedFromPatch } : {}),
  });
  world.emitConversationEvent(app, conversation, 'added');
  world.emitLocalParticipant(app, conversation, 'added');
  world.emitParticipant(app, conversation, sender, { type: 'added' });
  if (options.updatedEvent) world.emitInvitationEvent(app, invitation, 'updated', { withoutActions: true });
  return { app, invitation, from: sender };
}

export function acceptInvitation(world: World, app: Application, invitation: Invitation): void {
  const conversation = invitation.conversation;
  world.recorder.action({
    kind: 'accept',
    href: app.paths.invitationAction(invitation.kind, invitation.id, 'accept'),
    applicationId: app.id,
    ...aboutInvitation(world, invitation),
  });
  if (invitation.kind === 'onlineMeeting' && conversation.meeting) {
    // The started batch already announced the account and the inviter.
    completeMeetingJoin(world, app, invitation, invitation.details.from);
    return;
  }
  invitation.state = 'Connected';
  conversation.state = 'Connected';
  if (invitation.kind === 'messaging') {
    conversation.activeModalities = ['Messaging'];
    conversation.messagingState = 'Connected';
    conversation.negotiatedFormats = app.supportedMessageFormats.includes('Html')
      ? ['Plain', 'Html']
      : ['Plain'];
    world.emitMessaging(app, conversation);
    world.emitConversationEvent(app, conversation, 'updated');
    for (const person of conversation.remotePeople())
      world.emitParticipantMessaging(app, conversation, person);
    world.emitParticipantMessaging(app, conversation, conversation.local);
    world.emitInvitationEvent(app, invitation, 'completed', { status: 'Success' });
    const first = invitation.details.message;
    const sender = invitation.details.from;
    if (first !== undefined && sender)
      incomingMessage(world, app, conversation, { from: sender, text: first });
    return;
  }
  // audioVideo through acceptWithAnswer: no media is simulated, the call simply connects.
  conversation.activeModalities = invitation.kind === 'audioVideo' ? ['Audio', 'Video'] : ['Audio'];
  conversation.mediaState = 'Connected';
  world.emit(app, conversation, {
    rel: invitation.kind === 'audioVideo' ? 'audioVideo' : 'phoneAudio',
    path:
      invitation.kind === 'audioVideo'
        ? app.paths.audioVideo(conversation.id)
        : app.paths.phoneAudio(conversation.id),
    type: 'updated',
  });
  world.emitConversationEvent(app, conversation, 'updated');
  world.emitInvitationEvent(app, invitation, 'completed', { status: 'Success' });
}

export function declineInvitation(
  world: World,
  app: Application,
  invitation: Invitation,
  reason: string | undefined,
): void {
  world.recorder.action({
    kind: 'decline',
    href: app.paths.invitationAction(invitation.kind, invitation.id, 'decline'),
    applicationId: app.id,
    ...aboutInvitation(world, invitation),
    ...(reason ? { body: { reason } } : {}),
  });
  invitation.state = 'Declined';
  world.emitInvitationEvent(app, invitation, 'completed', {
    reason: { code: 'Informational', subcode: 'Declined', message: 'The invitation was declined.' },
  });
  world.endConversation(app, invitation.conversation);
}

/** The far end gives up on an incoming invitation, or the client cancels an outgoing one. */
export function cancelInvitation(
  world: World,
  app: Application,
  invitation: Invitation,
  byClient: boolean,
): void {
  if (!invitation.pending) return;
  if (byClient) {
    world.recorder.action({
      kind: 'cancel',
      href: app.paths.invitationAction(invitation.kind, invitation.id, 'cancel'),
      applicationId: app.id,
      ...aboutInvitation(world, invitation),
    });
  }
  invitation.state = 'Cancelled';
  world.emitInvitationEvent(app, invitation, 'completed', {
    reason: { code: 'Informational', subcode: 'Canceled', message: 'The invitation was cancelled.' },
  });
  afterFailedInvitation(world, app, invitation);
}

/** A conversation created for the invitation ends with it; IM added to an existing one just stays off. */
export function afterFailedInvitation(world: World, app: Application, invitation: Invitation): void {
  const conversation = invitation.conversation;
  if (invitation.details.inExistingConversation) conversation.messagingState = 'Disconnected';
  else world.endConversation(app, conversation);
}

function aboutInvitation(
  _world: World,
  invitation: Invitation,
): { participantUri?: string; meetingUri?: string } {
  const about: { participantUri?: string; meetingUri?: string } = {};
  const uri = invitation.details.from?.uri;
  if (uri) about.participantUri = uri;
  const meetingUri = invitation.conversation.meeting?.onlineMeetingUri;
  if (meetingUri) about.meetingUri = meetingUri;
  return about;
}

/** The remote side writes in a connected conversation. */
export function incomingMessage(
  world: World,
  app: Application,
  conversation: Conversation,
  { from, text }: { from: Person; text: string },
): boolean {
  if (conversation.messagingState !== 'Connected' || !app.conversations.has(conversation.id)) return false;
  const message: Message = {
    id: app.nextId(),
    direction: 'Incoming',
    status: 'Succeeded',
    timeStamp: Date.now(),
    text,
    contentType: 'text/plain',
    from,
  };
  conversation.messages.set(message.id, message);
  world.emitMessage(app, conversation, message, true);
  return true;
}
