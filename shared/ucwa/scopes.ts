import { ScopeError } from './errors.js';

export const INITIATE = 'Conversations.Initiate';
export const RECEIVE = 'Conversations.Receive';
export const USER_READ_WRITE = 'User.ReadWrite';

/**
 * The delegated scopes each UCWA resource accepts, any one of which is enough, as the reference pages list
 * them (index.json `resources.<r>.scopes`). Resources not listed need none (root, user, applications, events).
 */
const REQUIRED: Record<string, readonly string[]> = {
  makeMeAvailable: [RECEIVE, USER_READ_WRITE],
  me: [USER_READ_WRITE],
  reportMyActivity: [USER_READ_WRITE],
  communication: [INITIATE, RECEIVE],
  conversation: [RECEIVE],
  conversations: [RECEIVE],
  lobby: [RECEIVE],
  participants: [RECEIVE],
  leaders: [RECEIVE],
  attendees: [RECEIVE],
  participant: [INITIATE, RECEIVE],
  localParticipant: [INITIATE, RECEIVE],
  from: [INITIATE, RECEIVE],
  eject: [INITIATE, RECEIVE],
  admit: [INITIATE, RECEIVE],
  reject: [INITIATE, RECEIVE],
  accept: [INITIATE, RECEIVE],
  decline: [INITIATE, RECEIVE],
  messaging: [INITIATE, RECEIVE],
  sendMessage: [INITIATE, RECEIVE],
  message: [INITIATE, RECEIVE],
  messages: [INITIATE, RECEIVE],
  onlineMeeting: [INITIATE, RECEIVE],
  onlineMeetingInvitation: [INITIATE, RECEIVE],
  participantInvitation: [INITIATE, RECEIVE],
  joinOnlineMeeting: [INITIATE],
  messagingInvitation: [INITIATE],
  audioVideoInvitation: [INITIATE],
  phoneAudioInvitation: [INITIATE],
};

export function requiredScopes(resource: string): readonly string[] {
  return REQUIRED[resource] ?? [];
}

/** Throws ScopeError when `granted` holds none of the scopes `resource` accepts. */
export function checkScopes(resource: string, granted: readonly string[]): void {
  const needed = requiredScopes(resource);
  if (needed.length === 0) return;
  const have = new Set(granted.map((scope) => scope.slice(scope.lastIndexOf('/') + 1)));
  if (!needed.some((scope) => have.has(scope))) throw new ScopeError(resource, needed, granted);
}
