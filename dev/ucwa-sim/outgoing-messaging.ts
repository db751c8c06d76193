/** IM the account starts: startMessaging, addMessaging, sendMessage, stopMessaging, and the far end's answer. */

import { afterFailedInvitation } from './incoming-invitations.js';
import {
  type Application,
  type Conversation,
  Invitation,
  type Message,
  Person,
  remoteDefaults,
} from './model.js';
import type { World } from './world.js';

/** startMessaging: a new peer-to-peer conversation; the far end answers per setRemoteAnswer. */
export function startMessaging(
  world: World,
  app: Application,
  request: {
    to: string;
    subject?: string;
    importance?: string;
    operationId?: string;
    threadId?: string;
    message?: string;
  },
): Invitation {
  const conversation = world.newConversation(app, 'im', {
    subject: request.subject ?? '',
    importance: request.importance ?? 'Normal',
    ...(request.threadId ? { threadId: request.threadId } : {}),
  });
  const remote = new Person(
    `peer-${app.nextId()}`,
    { uri: request.to },
    remoteDefaults('Attendee', world.sourceNetworkOf(request.to)),
  );
  conversation.peers.push(remote);
  conversation.messagingState = 'Connecting';
  const invitation = new Invitation(
    { id: app.nextId(), kind: 'messaging', direction: 'Outgoing', conversation: conversation },
    {
      subject: conversation.subject,
      importance: conversation.importance,
      to: request.to,
      ...(request.operationId ? { operationId: request.operationId } : {}),
      ...(request.message !== undefined ? { message: request.message } : {}),
      embedFrom: false,
    },
  );
  app.invitations.set(invitation.id, invitation);
  world.recorder.action({
    kind: 'startMessaging',
    href: app.paths.startMessaging,
    applicationId: app.id,
    participantUri: request.to,
    body: request,
  });
  world.emitInvitationEvent(app, invitation, 'started');
  world.emitConversationEvent(app, conversation, 'added');
  world.emitLocalParticipant(app, conversation, 'added');
  answerOutgoing(world, app, invitation, () => {
    world.emitParticipant(app, conversation, remote, { type: 'added' });
    connectMessaging(world, app, conversation, invitation);
    if (request.message !== undefined)
      outgoingMessage(world, app, conversation, {
        text: request.message,
        contentType: 'text/plain',
        operationId: request.operationId,
      });
  });
  return invitation;
}

/** addMessaging: IM in an existing conversation (e.g. a joined meeting). */
export function addMessaging(
  world: World,
  app: Application,
  conversation: Conversation,
  request: { operationId?: string; message?: string },
): Invitation {
  const invitation = new Invitation(
    { id: app.nextId(), kind: 'messaging', direction: 'Outgoing', conversation: conversation },
    {
      subject: conversation.subject,
      importance: conversation.importance,
      to: conversation.meeting?.onlineMeetingUri ?? conversation.remotePeople()[0]?.uri ?? '',
      ...(request.operationId ? { operationId: request.operationId } : {}),
      ...(request.message !== undefined ? { message: request.message } : {}),
      embedFrom: false,
      inExistingConversation: true,
    },
  );
  app.invitations.set(invitation.id, invitation);
  conversation.messagingState = 'Connecting';
  world.recorder.action({
    kind: 'addMessaging',
    href: app.paths.messagingAction(conversation.id, 'addMessaging'),
    applicationId: app.id,
    ...(conversation.meeting ? { meetingUri: conversation.meeting.onlineMeetingUri } : {}),
    body: request,
  });
  world.emitInvitationEvent(app, invitation, 'started');
  const connect = (): void => {
    connectMessaging(world, app, conversation, invitation);
    if (request.message !== undefined)
      outgoingMessage(world, app, conversation, {
        text: request.message,
        contentType: 'text/plain',
        operationId: request.operationId,
      });
  };
  // A meeting's focus accepts at once; a peer answers like any outgoing invitation.
  if (conversation.meeting) connect();
  else answerOutgoing(world, app, invitation, connect);
  return invitation;
}

function answerOutgoing(world: World, app: Application, invitation: Invitation, onAccept: () => void): void {
  const { answer, afterMs } = world.remoteAnswer;
  world.timers.setTimeout(() => {
    if (!invitation.pending || !world.applications.has(app.id) || !app.invitations.has(invitation.id)) return;
    if (answer === 'accept') {
      onAccept();
      return;
    }
    invitation.state = answer === 'decline' ? 'Declined' : 'Failed';
    world.emitInvitationEvent(app, invitation, 'completed', {
      reason:
        answer === 'decline'
          ? { code: 'RemoteFailure', subcode: 'Declined', message: 'The remote party declined.' }
          : { code: 'RemoteFailure', subcode: 'Timeout', message: 'The remote party did not answer.' },
    });
    afterFailedInvitation(world, app, invitation);
  }, afterMs);
}

function connectMessaging(
  world: World,
  app: Application,
  conversation: Conversation,
  invitation: Invitation,
): void {
  invitation.state = 'Connected';
  conversation.messagingState = 'Connected';
  conversation.negotiatedFormats = app.supportedMessageFormats.includes('Html')
    ? ['Plain', 'Html']
    : ['Plain'];
  if (!conversation.activeModalities.includes('Messaging')) conversation.activeModalities.push('Messaging');
  if (!conversation.meeting) conversation.state = 'Connected';
  world.emitMessaging(app, conversation);
  world.emitConversationEvent(app, conversation, 'updated');
  world.emitParticipantMessaging(app, conversation, conversation.local);
  if (!conversation.meeting) {
    for (const person of conversation.remotePeople())
      world.emitParticipantMessaging(app, conversation, person);
  }
  world.emitInvitationEvent(app, invitation, 'completed', { status: 'Success' });
}

/** What the account sends: the operation id, when the client gave one, de-duplicates a repeated send. */
export interface SentText {
  text: string;
  contentType: 'text/plain' | 'text/html';
  operationId?: string | undefined;
}

/** sendMessage accepted: the message is delivered and reported as a `message` completed event. */
export function outgoingMessage(
  world: World,
  app: Application,
  conversation: Conversation,
  { text, contentType, operationId }: SentText,
): Message {
  const message: Message = {
    id: app.nextId(),
    direction: 'Outgoing',
    status: 'Succeeded',
    timeStamp: Date.now(),
    ...(operationId ? { operationId } : {}),
    text,
    contentType,
    from: conversation.local,
  };
  conversation.messages.set(message.id, message);
  if (operationId) conversation.messagesByOperation.set(operationId, message.id);
  // SendAnIM.md: the sent message's completed event embeds it (not with traffic: 'sparse').
  world.emitMessage(app, conversation, message, world.opts.traffic === 'captured');
  return message;
}

export function recordSend(
  world: World,
  app: Application,
  conversation: Conversation,
  { text, contentType }: SentText,
): void {
  const peer = conversation.remotePeople()[0];
  world.recorder.action({
    kind: 'sendMessage',
    href: app.paths.sendMessage(conversation.id),
    applicationId: app.id,
    ...(conversation.meeting ? { meetingUri: conversation.meeting.onlineMeetingUri } : {}),
    ...(!conversation.meeting && peer?.uri ? { participantUri: peer.uri } : {}),
    body: contentType === 'text/html' ? { html: text } : { text },
  });
}

export function stopMessaging(world: World, app: Application, conversation: Conversation): void {
  world.recorder.action({
    kind: 'stopMessaging',
    href: app.paths.messagingAction(conversation.id, 'stopMessaging'),
    applicationId: app.id,
  });
  conversation.messagingState = 'Disconnected';
  conversation.activeModalities = conversation.activeModalities.filter(
    (modality) => modality !== 'Messaging',
  );
  conversation.messagingPeople.clear();
  world.emitMessaging(app, conversation);
  world.emitConversationEvent(app, conversation, 'updated');
}
