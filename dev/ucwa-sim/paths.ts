import type { InvitationKind, PathFamily } from './types.js';

/**
 * URL shapes of both documented families, in one place so the links the simulator serves and the routes it
 * accepts cannot drift apart. `v1` follows the reference pages, `oauth` the task pages (where they differ:
 * me/makeMeAvailable, messagingInvitations, onlineMeetingInvitations, messaging/messages).
 */

export const DISCOVERY_ROOT = '/autodiscover/autodiscoverservice.svc/root';
export const TOKEN_PATH = '/WebTicket/oauthtoken';

export function applicationsBase(family: PathFamily): string {
  return family === 'v1' ? '/ucwa/v1/applications' : '/ucwa/oauth/v1/applications';
}

export function discoveryUserPath(family: PathFamily, domain: string): string {
  return family === 'v1'
    ? `${DISCOVERY_ROOT}/user`
    : `${DISCOVERY_ROOT}/oauth/user?originalDomain=${encodeURIComponent(domain)}`;
}

export function xframePath(family: PathFamily): string {
  return family === 'v1' ? `${DISCOVERY_ROOT}/xframe` : '/Autodiscover/XFrame/XFrame.html';
}

/** A path segment for an opaque id (SIP-style ids keep their `@`). */
export function segment(id: string): string {
  return encodeURIComponent(id).replace(/%40/g, '@');
}

export type InvitationAction = 'accept' | 'decline' | 'cancel' | 'acceptWithAnswer' | 'acceptWithPhoneAudio';
export type ParticipantAction = 'admit' | 'reject' | 'eject';
export type MessagingAction = 'stopMessaging' | 'setIsTyping' | 'typingParticipants' | 'addMessaging';

export class AppPaths {
  constructor(
    readonly family: PathFamily,
    readonly self: string,
  ) {}

  private sub(rest: string): string {
    return `${this.self}/${rest}`;
  }
  events(ack: number): string {
    return `${this.sub('events')}?ack=${ack}`;
  }
  get batch(): string {
    return this.sub('batch');
  }
  get policies(): string {
    return this.sub('policies');
  }
  get reportMyNetwork(): string {
    return this.sub('reportMyNetwork');
  }
  get me(): string {
    return this.sub('me');
  }
  get makeMeAvailable(): string {
    return this.sub(this.family === 'v1' ? 'communication/makeMeAvailable' : 'me/makeMeAvailable');
  }
  get reportMyActivity(): string {
    return this.sub('reportMyActivity');
  }
  get presence(): string {
    return this.sub('me/presence');
  }
  get note(): string {
    return this.sub('me/note');
  }
  get location(): string {
    return this.sub('me/location');
  }
  get photo(): string {
    return this.sub('photo');
  }
  get people(): string {
    return this.sub('people');
  }
  get onlineMeetings(): string {
    return this.sub('onlineMeetings');
  }
  get communication(): string {
    return this.sub('communication');
  }
  get conversations(): string {
    return this.sub('communication/conversations');
  }
  get startMessaging(): string {
    return this.sub(
      this.family === 'v1' ? 'communication/startMessaging' : 'communication/messagingInvitations',
    );
  }
  get joinOnlineMeeting(): string {
    return this.sub(
      this.family === 'v1' ? 'communication/joinOnlineMeeting' : 'communication/onlineMeetingInvitations',
    );
  }
  invitation(kind: InvitationKind, id: string): string {
    return this.sub(
      this.family === 'v1' ? `communication/invitations/${id}` : `communication/${kind}Invitations/${id}`,
    );
  }
  invitationAction(kind: InvitationKind, id: string, action: InvitationAction): string {
    return `${this.invitation(kind, id)}/${action}`;
  }
  conversation(c: string): string {
    return this.sub(`communication/conversations/${c}`);
  }
  participants(c: string): string {
    return `${this.conversation(c)}/participants`;
  }
  participant(c: string, p: string): string {
    return `${this.participants(c)}/${segment(p)}`;
  }
  participantAction(c: string, p: string, action: ParticipantAction): string {
    return `${this.participant(c, p)}/${action}`;
  }
  participantMessaging(c: string, p: string): string {
    return `${this.participant(c, p)}/participantMessaging`;
  }
  lobby(c: string): string {
    return `${this.conversation(c)}/lobby`;
  }
  leaders(c: string): string {
    return `${this.conversation(c)}/leaders`;
  }
  attendees(c: string): string {
    return `${this.conversation(c)}/attendees`;
  }
  onlineMeeting(c: string): string {
    return `${this.conversation(c)}/onlineMeeting`;
  }
  messaging(c: string): string {
    return `${this.conversation(c)}/messaging`;
  }
  sendMessage(c: string): string {
    return `${this.messaging(c)}/${this.family === 'v1' ? 'sendMessage' : 'messages'}`;
  }
  messages(c: string): string {
    return `${this.messaging(c)}/messages`;
  }
  message(c: string, m: string): string {
    return `${this.messages(c)}/${m}`;
  }
  messagingAction(c: string, action: MessagingAction): string {
    return `${this.messaging(c)}/${action}`;
  }
  audioVideo(c: string): string {
    return `${this.conversation(c)}/audioVideo`;
  }
  phoneAudio(c: string): string {
    return `${this.conversation(c)}/phoneAudio`;
  }
}

/** Where a path below one application leads. Ids are decoded. */
export type AppRoute =
  | { r: 'application' }
  | {
      r:
        | 'events'
        | 'batch'
        | 'policies'
        | 'reportMyNetwork'
        | 'me'
        | 'makeMeAvailable'
        | 'reportMyActivity'
        | 'presence'
        | 'note'
        | 'location'
        | 'photo'
        | 'people'
        | 'onlineMeetings'
        | 'communication'
        | 'conversations'
        | 'startMessaging'
        | 'joinOnlineMeeting';
    }
  | { r: 'invitation'; inv: string; kind?: InvitationKind }
  | { r: 'invitationAction'; inv: string; kind?: InvitationKind; action: InvitationAction }
  | { r: 'conversation' | 'participants' | 'lobby' | 'leaders' | 'attendees' | 'onlineMeeting'; conv: string }
  | { r: 'messaging' | 'messages' | 'sendMessage' | 'audioVideo' | 'phoneAudio'; conv: string }
  | { r: 'messagingAction'; conv: string; action: MessagingAction }
  | { r: 'message'; conv: string; m: string }
  | { r: 'participant' | 'participantMessaging'; conv: string; p: string }
  | { r: 'participantAction'; conv: string; p: string; action: ParticipantAction };

const INVITATION_ACTIONS = new Set<string>([
  'accept',
  'decline',
  'cancel',
  'acceptWithAnswer',
  'acceptWithPhoneAudio',
]);
const PARTICIPANT_ACTIONS = new Set<string>(['admit', 'reject', 'eject']);
const MESSAGING_ACTIONS = new Set<string>([
  'stopMessaging',
  'setIsTyping',
  'typingParticipants',
  'addMessaging',
]);
const KIND_COLLECTIONS: Record<string, InvitationKind> = {
  messagingInvitations: 'messaging',
  audioVideoInvitations: 'audioVideo',
  phoneAudioInvitations: 'phoneAudio',
  onlineMeetingInvitations: 'onlineMeeting',
};

/** Parses the segments after `/applications/{id}`; undefined for a path the family does not have. */
export function parseAppRoute(family: PathFamily, rest: string[]): AppRoute | undefined {
  const [a, b, c, d, e, f] = rest;
  const n = rest.length;
  if (n === 0) return { r: 'application' };
  if (n === 1 && a) {
    const single: Record<string, AppRoute> = {
      events: { r: 'events' },
      batch: { r: 'batch' },
      policies: { r: 'policies' },
      reportMyNetwork: { r: 'reportMyNetwork' },
      me: { r: 'me' },
      reportMyActivity: { r: 'reportMyActivity' },
      photo: { r: 'photo' },
      people: { r: 'people' },
      onlineMeetings: { r: 'onlineMeetings' },
      communication: { r: 'communication' },
    };
    return single[a];
  }
  if (a === 'me' && n === 2) {
    if (b === 'presence' || b === 'note' || b === 'location') return { r: b };
    if (b === 'makeMeAvailable' && family === 'oauth') return { r: 'makeMeAvailable' };
    return undefined;
  }
  if (a !== 'communication' || !b) return undefined;
  if (n === 2) {
    if (b === 'conversations') return { r: 'conversations' };
    if (family === 'v1') {
      if (b === 'makeMeAvailable') return { r: 'makeMeAvailable' };
      if (b === 'startMessaging') return { r: 'startMessaging' };
      if (b === 'joinOnlineMeeting') return { r: 'joinOnlineMeeting' };
    } else {
      if (b === 'messagingInvitations') return { r: 'startMessaging' };
      if (b === 'onlineMeetingInvitations') return { r: 'joinOnlineMeeting' };
    }
    return undefined;
  }
  const kind = KIND_COLLECTIONS[b];
  if ((family === 'v1' && b === 'invitations') || (family === 'oauth' && kind)) {
    if (!c) return undefined;
    if (n === 3) return kind ? { r: 'invitation', inv: c, kind } : { r: 'invitation', inv: c };
    if (n === 4 && d && INVITATION_ACTIONS.has(d)) {
      const action = d as InvitationAction;
      return kind
        ? { r: 'invitationAction', inv: c, kind, action }
        : { r: 'invitationAction', inv: c, action };
    }
    return undefined;
  }
  if (b !== 'conversations' || !c) return undefined;
  const conv = c;
  if (n === 3) return { r: 'conversation', conv };
  if (n === 4) {
    if (
      d === 'participants' ||
      d === 'lobby' ||
      d === 'leaders' ||
      d === 'attendees' ||
      d === 'onlineMeeting' ||
      d === 'messaging' ||
      d === 'audioVideo' ||
      d === 'phoneAudio'
    ) {
      return { r: d, conv };
    }
    return undefined;
  }
  if (d === 'participants' && e) {
    if (n === 5) return { r: 'participant', conv, p: e };
    if (n === 6 && f && PARTICIPANT_ACTIONS.has(f)) {
      return { r: 'participantAction', conv, p: e, action: f as ParticipantAction };
    }
    if (n === 6 && f === 'participantMessaging') return { r: 'participantMessaging', conv, p: e };
    return undefined;
  }
  if (d === 'messaging' && e) {
    if (n === 5) {
      if (e === 'messages') return { r: 'messages', conv };
      if (e === 'sendMessage' && family === 'v1') return { r: 'sendMessage', conv };
      if (MESSAGING_ACTIONS.has(e)) return { r: 'messagingAction', conv, action: e as MessagingAction };
      return undefined;
    }
    if (n === 6 && e === 'messages' && f) return { r: 'message', conv, m: f };
  }
  return undefined;
}
