import type { CursorStore } from '../store/cursor-store.js';
import type { UcwaClient } from '../ucwa/client.js';
import { UcwaError } from '../ucwa/errors.js';
import { embeddedOf, hrefOf, linksOf } from '../ucwa/links.js';
import { parseAs } from '../ucwa/parse.js';
import type { Participant, ParticipantCollection } from '../ucwa/schemas.js';
import type { Gatekeeper } from './gatekeeper.js';
import type { Logger } from './logger.js';

export interface SweepDeps {
  ucwa: UcwaClient;
  gatekeeper: Gatekeeper;
  cursors: CursorStore;
  log: Logger;
  watchedMeetings: readonly string[];
}

export interface SweepResult {
  meetings: number;
  lobbyParticipants: number;
  joined: number;
  skipped?: 'no-application';
}

/**
 * The safety net behind the event channel: re-read the lobby of every meeting the account is in and guard
 * each participant waiting there (idempotency keys make this a no-op for those already handled), and join any
 * watched meeting the account is no longer in (after the application was re-created). Reads use batches.
 */
export async function sweepLobbies(deps: SweepDeps): Promise<SweepResult> {
  const { state } = await deps.cursors.read();
  // The watch owns the application's lifecycle; without one there is nothing to sweep yet.
  if (!state.applicationHref)
    return { meetings: 0, lobbyParticipants: 0, joined: 0, skipped: 'no-application' };
  const app = await deps.ucwa.useApplication(state.applicationHref);
  const conversationsHref = hrefOf(app.communication, 'conversations');
  const conversations = conversationsHref
    ? await deps.ucwa.get('conversations', conversationsHref).catch(gone)
    : undefined;
  const conversationHrefs = linksOf(conversations, 'conversation').map((link) =>
    deps.ucwa.resolve(link.href),
  );

  const meetings = (await deps.ucwa.getMany('conversation', conversationHrefs)).flatMap((result) =>
    result.ok && hrefOf(result.resource, 'lobby')
      ? [{ href: result.href, conversation: result.resource }]
      : [],
  );
  const joinedUris = new Set<string>();
  const lobbyHrefs = meetings.map(({ conversation }) =>
    deps.ucwa.resolve(hrefOf(conversation, 'lobby') ?? ''),
  );
  const onlineMeetingHrefs = meetings.flatMap(({ conversation }) => {
    const href = hrefOf(conversation, 'onlineMeeting');
    return href ? [deps.ucwa.resolve(href)] : [];
  });
  for (const result of await deps.ucwa.getMany('onlineMeeting', onlineMeetingHrefs)) {
    if (result.ok && result.resource.onlineMeetingUri)
      joinedUris.add(result.resource.onlineMeetingUri.toLowerCase());
  }

  let lobbyParticipants = 0;
  const lobbies = await deps.ucwa.getMany('lobby', lobbyHrefs);
  for (const [index, lobby] of lobbies.entries()) {
    if (!lobby.ok) continue;
    const conversationHref = meetings[index]?.href ?? '';
    const waiting = await participantsOf(deps.ucwa, lobby.resource);
    for (const participant of waiting) {
      const self = hrefOf(participant, 'self');
      if (!self) continue;
      lobbyParticipants++;
      await deps.gatekeeper.guard(participant, deps.ucwa.resolve(self), conversationHref, Date.now());
    }
  }

  let joined = 0;
  for (const uri of deps.watchedMeetings) {
    if (joinedUris.has(uri.toLowerCase())) continue;
    try {
      await deps.ucwa.joinOnlineMeeting(uri);
      joined++;
    } catch (error) {
      deps.log.error('Could not join a watched meeting', { meeting: uri, error: (error as Error).message });
    }
  }
  return { meetings: meetings.length, lobbyParticipants, joined };
}

/** A lobby embeds its participants, or only links them (docs/ucwa-protocol.md §10.2): read linked ones in one batch. */
async function participantsOf(ucwa: UcwaClient, resource: ParticipantCollection): Promise<Participant[]> {
  const embedded = embeddedOf(resource, 'participant').map((raw) => parseAs('participant', raw));
  if (embedded.length > 0) return embedded;
  const hrefs = linksOf(resource, 'participant').map((link) => ucwa.resolve(link.href));
  return (await ucwa.getMany('participant', hrefs)).flatMap((result) => (result.ok ? [result.resource] : []));
}

function gone(error: unknown): undefined {
  if (error instanceof UcwaError && error.action === 'target-gone') return undefined;
  throw error;
}
