/** Online meetings: defining them, the account joining, guests arriving and leaving, admit/reject/eject. */
import { randomInt } from 'node:crypto';
import {
  type Application,
  Invitation,
  MeetingState,
  type MeetingView,
  Person,
  remoteDefaults,
} from './model.js';
import { renderOnlineMeeting } from './resources/conversation-resource.js';
import type { KnockOptions, LobbyOperation, MeetingOptions, ParticipantSeed } from './types.js';
import { normalizeMeetingUri, type World } from './world.js';

export function defineMeeting(world: World, options: MeetingOptions): MeetingState {
  const key = normalizeMeetingUri(options.onlineMeetingUri);
  const existing = world.meetings.get(key);
  if (existing) return existing;
  let organizer: Person | undefined;
  if (options.organizer) {
    const uri = typeof options.organizer.uri === 'string' ? options.organizer.uri : undefined;
    organizer = new Person('organizer', options.organizer, {
      ...remoteDefaults('Leader', uri ? world.sourceNetworkOf(uri) : 'SameEnterprise'),
      organizer: true,
    });
  }
  const meeting = new MeetingState({
    onlineMeetingUri: options.onlineMeetingUri,
    subject: options.subject ?? '',
    accountIsLeader: options.accountIsLeader ?? true,
    accessLevel: options.accessLevel ?? 'Invited',
    organizer,
    conferenceId: String(10_000_000 + randomInt(89_999_999)),
  });
  world.meetings.set(key, meeting);
  return meeting;
}

/** joinOnlineMeeting: undefined when no meeting has that URI (404 DestinationNotFound). */
export function joinMeeting(
  world: World,
  app: Application,
  request: {
    onlineMeetingUri?: string;
    operationId?: string;
    subject?: string;
    importance?: string;
    threadId?: string;
  },
): Invitation | undefined {
  let meeting: MeetingState | undefined;
  if (request.onlineMeetingUri && request.onlineMeetingUri.toLowerCase() !== 'adhoc') {
    meeting = world.meetings.get(normalizeMeetingUri(request.onlineMeetingUri));
    if (!meeting) return undefined;
  } else {
    meeting = defineMeeting(world, {
      onlineMeetingUri: world.adHocMeetingUri(world.opts.account.uri),
      organizer: { uri: world.opts.account.uri, name: world.opts.account.name },
      accountIsLeader: true,
      subject: request.subject ?? '',
    });
  }
  // A second join from the same application replaces the first conversation (same endpoint, same conference).
  for (const view of [...meeting.views]) {
    if (view.app === app) {
      world.emitLocalParticipant(app, view.conversation, 'deleted');
      world.endConversation(app, view.conversation);
    }
  }
  const conversation = world.newConversation(
    app,
    'meeting',
    {
      subject: request.subject || meeting.subject,
      importance: request.importance ?? 'Normal',
      ...(request.threadId ? { threadId: request.threadId } : {}),
    },
    meeting,
  );
  conversation.state = 'Connecting';
  const invitation = new Invitation(
    { id: app.nextId(), kind: 'onlineMeeting', direction: 'Outgoing', conversation: conversation },
    {
      subject: conversation.subject,
      importance: conversation.importance,
      to: meeting.onlineMeetingUri,
      ...(request.operationId ? { operationId: request.operationId } : {}),
      onlineMeetingUri: meeting.onlineMeetingUri,
      embedFrom: false,
    },
  );
  app.invitations.set(invitation.id, invitation);
  world.recorder.action({
    kind: 'joinOnlineMeeting',
    href: app.paths.joinOnlineMeeting,
    applicationId: app.id,
    meetingUri: meeting.onlineMeetingUri,
    body: request,
  });
  world.emitInvitationEvent(app, invitation, 'started');
  world.emitConversationEvent(app, conversation, 'added');
  completeMeetingJoin(world, app, invitation);
  return invitation;
}

/** The account is in: roster and lobby become visible, the invitation succeeds, the conversation is Conferenced. */
export function completeMeetingJoin(
  world: World,
  app: Application,
  invitation: Invitation,
  announced?: Person,
): void {
  const { conversation } = invitation;
  const meeting = conversation.meeting;
  if (!meeting) return;
  if (!announced) world.emitLocalParticipant(app, conversation, 'added');
  meeting.views.add({ app, conversation });
  world.emit(app, conversation, {
    rel: 'onlineMeeting',
    path: app.paths.onlineMeeting(conversation.id),
    type: 'added',
    in: { rel: 'conversation', path: app.paths.conversation(conversation.id) },
    embedded: renderOnlineMeeting(world.render(app), conversation) ?? {},
  });
  for (const person of meeting.people()) {
    if (person === announced) continue;
    if (person.where === 'roster') world.emitRosterJoin(app, conversation, person);
    else
      world.emitParticipant(app, conversation, person, {
        type: 'added',
        inLobby: true,
        embed: person.embedParticipant,
      });
  }
  invitation.state = 'Connected';
  conversation.state = 'Conferenced';
  world.emitInvitationEvent(app, invitation, 'completed', { status: 'Success' });
  world.emitConversationEvent(app, conversation, 'updated');
  for (const resolve of meeting.joinWaiters.splice(0)) resolve();
}

/** A guest arrives in the lobby (knock) or straight in the roster (join). */
export function meetingArrive(
  world: World,
  meeting: MeetingState,
  seed: ParticipantSeed,
  { where, ...opts }: KnockOptions & { where: 'lobby' | 'roster' },
): Person {
  const person = new Person(meeting.nextKey(), seed, remoteDefaults('Attendee', world.defaultNetwork(seed)));
  person.where = where;
  if (opts.offer) person.offer = new Set(opts.offer);
  person.embedParticipant = opts.embedParticipant ?? false;
  person.embeddedPatch = opts.embeddedPatch;
  meeting.add(person);
  for (const { app, conversation } of meeting.views) {
    if (where === 'roster') world.emitRosterJoin(app, conversation, person);
    else
      world.emitParticipant(app, conversation, person, {
        type: 'added',
        inLobby: true,
        embed: person.embedParticipant,
      });
  }
  return person;
}

/** Someone leaves the meeting (by itself, ejected or rejected): lobby deleted if waiting, participant deleted. */
export function meetingDepart(world: World, meeting: MeetingState, person: Person): void {
  if (person.where === 'gone') return;
  const wasInLobby = person.where === 'lobby';
  for (const { app, conversation } of meeting.views) {
    if (wasInLobby) world.emitParticipant(app, conversation, person, { type: 'deleted', inLobby: true });
    world.emitParticipant(app, conversation, person, { type: 'deleted' });
  }
  person.where = 'gone';
  for (const { conversation } of meeting.views) conversation.forget(person);
}

export function meetingAdmit(world: World, meeting: MeetingState, person: Person): void {
  if (person.where !== 'lobby') return;
  person.where = 'roster';
  for (const { app, conversation } of meeting.views) {
    world.emitParticipant(app, conversation, person, { type: 'deleted', inLobby: true });
    world.emitRosterJoin(app, conversation, person);
  }
}

/** admit / reject / eject posted by the client. Capability checks are the caller's. */
export function lobbyOperation(
  world: World,
  { app, conversation }: MeetingView,
  person: Person,
  op: LobbyOperation,
): void {
  const meeting = conversation.meeting;
  if (!meeting) return;
  world.recorder.action({
    kind: op,
    href: app.paths.participantAction(conversation.id, conversation.idOf(person), op),
    applicationId: app.id,
    meetingUri: meeting.onlineMeetingUri,
    ...(person.uri ? { participantUri: person.uri } : {}),
    body: { name: person.name, facts: person.facts() },
  });
  if (op === 'admit') meetingAdmit(world, meeting, person);
  else meetingDepart(world, meeting, person);
}
