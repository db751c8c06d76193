import { ajaxDate, encodeDataUri } from '../data-uri.js';
import type { Conversation, Message, Person } from '../model.js';
import { type Json, link, type RenderContext } from '../render-context.js';
import { renderParticipant } from './participant-resource.js';

const EIGHT_HOURS = 8 * 3600_000;

export function renderConversation(r: RenderContext, conversation: Conversation): Json {
  const paths = r.app.paths;
  const c = conversation.id;
  const roster = conversation.remotePeople().filter((person) => person.where === 'roster');
  const links: Json = {
    self: link(r.href(paths.conversation(c))),
    participants: link(r.href(paths.participants(c))),
    localParticipant: link(
      r.href(paths.participant(c, conversation.idOf(conversation.local))),
      conversation.local.name || undefined,
    ),
    messaging: link(r.href(paths.messaging(c))),
  };
  if (conversation.meeting) {
    links.onlineMeeting = link(r.href(paths.onlineMeeting(c)));
    links.lobby = link(r.href(paths.lobby(c)));
    links.leaders = link(r.href(paths.leaders(c)));
    links.attendees = link(r.href(paths.attendees(c)));
  }
  if (conversation.kind === 'audioVideo') links.audioVideo = link(r.href(paths.audioVideo(c)));
  if (conversation.kind === 'phoneAudio') links.phoneAudio = link(r.href(paths.phoneAudio(c)));
  return {
    rel: 'conversation',
    activeModalities: conversation.activeModalities,
    audienceMessaging: 'Enabled',
    audienceMute: 'Disabled',
    created: ajaxDate(conversation.created),
    expirationTime: ajaxDate(conversation.created + EIGHT_HOURS),
    importance: conversation.importance,
    participantCount: roster.length + 1,
    readLocally: false,
    recording: false,
    state: conversation.state,
    subject: conversation.subject,
    threadId: conversation.threadId,
    _links: links,
  };
}

function linkTo(
  r: RenderContext,
  conversation: Conversation,
  person: Person,
): { href: string; title?: string } {
  return link(
    r.href(r.app.paths.participant(conversation.id, conversation.idOf(person))),
    person.name || undefined,
  );
}

/**
 * participants / leaders / attendees list their members as `_links.participant[]` (the documented Links
 * tables and the leaders sample). `participants` holds every remote participant, lobby included;
 * leaders and attendees hold roster members by role, the account included.
 */
export function renderParticipantList(
  r: RenderContext,
  conversation: Conversation,
  which: 'participants' | 'leaders' | 'attendees',
): Json {
  const paths = r.app.paths;
  const everyone = conversation.remotePeople();
  let members: Person[];
  if (which === 'participants') members = everyone;
  else {
    const roster = [conversation.local, ...everyone.filter((person) => person.where === 'roster')];
    members = roster.filter((person) => (person.facts().role === 'Leader') === (which === 'leaders'));
  }
  const self = which === 'participants' ? paths.participants(conversation.id) : paths[which](conversation.id);
  return {
    rel: which,
    _links: {
      self: link(r.href(self)),
      participant: members.map((person) => linkTo(r, conversation, person)),
    },
  };
}

/** The lobby embeds full participants (the lobby sample), each with its current capability links. */
export function renderLobby(r: RenderContext, conversation: Conversation): Json {
  const waiting = conversation.remotePeople().filter((person) => person.where === 'lobby');
  return {
    rel: 'lobby',
    _links: { self: link(r.href(r.app.paths.lobby(conversation.id))) },
    _embedded: { participant: waiting.map((person) => renderParticipant(r, conversation, person)) },
  };
}

export function renderOnlineMeeting(r: RenderContext, conversation: Conversation): Json | undefined {
  const meeting = conversation.meeting;
  if (!meeting) return undefined;
  const organizer = meeting.organizer;
  const people = [organizer, ...meeting.people()].filter((person): person is Person => person !== undefined);
  const uris = (role: string): string[] => [
    ...new Set(people.filter((p) => p.facts().role === role && p.uri).map((p) => p.uri ?? '')),
  ];
  const leaders = uris('Leader');
  const attendees = uris('Attendee');
  const own = meeting.accountIsLeader ? leaders : attendees;
  if (!own.includes(r.opts.account.uri)) own.push(r.opts.account.uri);
  const organizerUri = organizer?.uri ?? r.opts.account.uri;
  const organizerUser = organizerUri.replace(/^sip:/i, '').split('@')[0] ?? 'organizer';
  return {
    rel: 'onlineMeeting',
    accessLevel: meeting.accessLevel,
    attendees,
    automaticLeaderAssignment: 'Disabled',
    conferenceId: meeting.conferenceId,
    description: '',
    disclaimerBody: '',
    disclaimerTitle: '',
    entryExitAnnouncement: 'Disabled',
    expirationTime: ajaxDate(conversation.created + EIGHT_HOURS),
    hostingNetwork: `https://meet.${r.opts.domain}`,
    joinUrl: `https://meet.${r.opts.domain}/${organizerUser}/${meeting.onlineMeetingId}`,
    largeMeeting: 'Disabled',
    leaders,
    lobbyBypassForPhoneUsers: 'Disabled',
    onlineMeetingId: meeting.onlineMeetingId,
    onlineMeetingRel: 'myOnlineMeetings',
    onlineMeetingUri: meeting.onlineMeetingUri,
    organizerName: organizer?.name ?? r.opts.account.name,
    organizerUri,
    phoneUserAdmission: 'Disabled',
    subject: meeting.subject,
    _links: {
      self: link(r.href(r.app.paths.onlineMeeting(conversation.id))),
      conversation: link(r.href(r.app.paths.conversation(conversation.id))),
    },
  };
}

/** Capability links follow the state: sendMessage & co. only while Connected, addMessaging while Disconnected. */
export function renderMessaging(r: RenderContext, conversation: Conversation): Json {
  const paths = r.app.paths;
  const c = conversation.id;
  const links: Json = { self: link(r.href(paths.messaging(c))) };
  if (conversation.messagingState === 'Connected') {
    links.sendMessage = link(r.href(paths.sendMessage(c)));
    links.stopMessaging = link(r.href(paths.messagingAction(c, 'stopMessaging')));
    links.setIsTyping = link(r.href(paths.messagingAction(c, 'setIsTyping')));
    links.typingParticipants = link(r.href(paths.messagingAction(c, 'typingParticipants')));
  } else if (conversation.messagingState === 'Disconnected' && conversation.state !== 'Incoming') {
    links.addMessaging = link(r.href(paths.messagingAction(c, 'addMessaging')));
  }
  links.conversation = link(r.href(paths.conversation(c)));
  return {
    rel: 'messaging',
    state: conversation.messagingState,
    negotiatedMessageFormats: conversation.negotiatedFormats,
    _links: links,
  };
}

export function renderMessage(r: RenderContext, conversation: Conversation, message: Message): Json {
  const paths = r.app.paths;
  const body: Json = {
    rel: 'message',
    direction: message.direction,
    status: message.status,
    timeStamp: ajaxDate(message.timeStamp),
  };
  if (message.operationId) body.operationId = message.operationId;
  const textRel = message.contentType === 'text/html' ? 'htmlMessage' : 'plainMessage';
  body._links = {
    self: link(r.href(paths.message(conversation.id, message.id))),
    messaging: link(r.href(paths.messaging(conversation.id))),
    participant: linkTo(r, conversation, message.from),
    [textRel]: link(encodeDataUri(message.text, message.contentType)),
  };
  return body;
}

export function renderMessages(r: RenderContext, conversation: Conversation): Json {
  const paths = r.app.paths;
  return {
    rel: 'messages',
    _links: {
      self: link(r.href(paths.messages(conversation.id))),
      message: [...conversation.messages.values()].map((m) =>
        link(r.href(paths.message(conversation.id, m.id))),
      ),
    },
  };
}

/** audioVideo / phoneAudio: only state and the way back (no media is simulated). */
export function renderMediaModality(
  r: RenderContext,
  conversation: Conversation,
  rel: 'audioVideo' | 'phoneAudio',
): Json {
  const paths = r.app.paths;
  const self = rel === 'audioVideo' ? paths.audioVideo(conversation.id) : paths.phoneAudio(conversation.id);
  return {
    rel,
    state: conversation.mediaState,
    _links: { self: link(r.href(self)), conversation: link(r.href(paths.conversation(conversation.id))) },
  };
}
