/**
 * Which delegated scopes each resource accepts: at least one of the listed ones is required, none listed
 * means none needed. Copied by hand from the reference pages (index.json `resources.<name>.scopes`) for the
 * resources the simulator serves, so the simulator and the client each read the docs on their own. Note the
 * documented oddities kept on purpose: `me` needs User.ReadWrite, and messaging/audioVideo/phoneAudio
 * invitations list only Conversations.Initiate.
 */
const I = 'Conversations.Initiate';
const R = 'Conversations.Receive';
const U = 'User.ReadWrite';
const C = 'Contacts.ReadWrite';
const M = 'Meetings.ReadWrite';
const ANY = [C, I, R, M, U];

export const SCOPES_BY_RESOURCE: Readonly<Record<string, readonly string[]>> = {
  root: [],
  user: [],
  redirect: [],
  xframe: [],
  applications: [],
  events: [],
  application: ANY,
  batch: ANY,
  policies: ANY,
  reportMyNetwork: ANY,
  onlineMeetings: ANY,
  me: [U],
  reportMyActivity: [U],
  presence: [U],
  note: [U],
  location: [U],
  photo: [U],
  makeMeAvailable: [R, U],
  people: [C],
  communication: [I, R],
  conversations: [I, R],
  conversation: [R],
  participants: [R],
  participant: [I, R],
  localParticipant: [I, R],
  from: [I, R],
  participantMessaging: [I, R],
  lobby: [R],
  leaders: [R],
  attendees: [R],
  admit: [I, R],
  reject: [I, R],
  eject: [I, R],
  onlineMeeting: [I, R],
  messaging: [I, R],
  sendMessage: [I, R],
  messages: [I, R],
  message: [I, R],
  stopMessaging: [I, R],
  addMessaging: [I, R],
  setIsTyping: [I, R],
  typingParticipants: [R],
  audioVideo: [I, R],
  phoneAudio: [I, R],
  invitation: [I, R],
  messagingInvitation: [I],
  audioVideoInvitation: [I],
  phoneAudioInvitation: [I],
  onlineMeetingInvitation: [I, R],
  accept: [I, R],
  decline: [I, R],
  cancel: [I, R],
  acceptWithAnswer: [I, R],
  acceptWithPhoneAudio: [I],
  joinOnlineMeeting: [I],
  startMessaging: [I, R],
};

export const DEFAULT_TOKEN_SCOPES: readonly string[] = [I, R];

/** The scopes that would satisfy `resource`, or undefined when the token's scopes already do. */
export function missingScopes(resource: string, granted: ReadonlySet<string>): readonly string[] | undefined {
  const needed = SCOPES_BY_RESOURCE[resource];
  if (!needed || needed.length === 0) return undefined;
  return needed.some((scope) => granted.has(scope)) ? undefined : needed;
}
