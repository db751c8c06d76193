/**
 * The keys that make effects happen once. An ejection is keyed by the participant (a guest who knocks again
 * later re-opens it as a new effect); a summary by the invitation and its operation id; a non-removal
 * decision about a lobby participant by participant and decision.
 */
export const effectKeys = {
  removal: (participantHref: string) => `eject|${participantHref}`,
  invitation: (invitationHref: string, operationId: string | undefined) =>
    `invitation|${invitationHref}|${operationId ?? ''}`,
  lobbyDecision: (participantHref: string, action: string) => `lobby|${participantHref}|${action}`,
  rosterDecision: (participantHref: string, action: string) => `roster|${participantHref}|${action}`,
  /** The server refused to show this participant (403): said once. */
  refusedRead: (href: string) => `refused|${href}`,
  /** "Not a leader here" is said once per meeting, however many guests knock. */
  noRights: (conversationHref: string) => `no-rights|${conversationHref}`,
} as const;

/** The kind of effect a key names. */
export function effectKind(key: string): 'removal' | 'invitation' | 'lobby-decision' | 'other' {
  if (key.startsWith('eject|')) return 'removal';
  if (key.startsWith('invitation|')) return 'invitation';
  if (key.startsWith('lobby|') || key.startsWith('roster|')) return 'lobby-decision';
  return 'other';
}
