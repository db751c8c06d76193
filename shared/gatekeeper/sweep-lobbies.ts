import type { CursorStore } from '../store/cursor-store.js';
import type { UcwaClient } from '../ucwa/client.js';
import { UcwaError } from '../ucwa/errors.js';
import { hrefOf } from '../ucwa/links.js';
import type { Gatekeeper } from './gatekeeper.js';
import type { Logger } from './logger.js';
import { joinAbsentMeetings, participantsOf, readMeetings } from './meetings.js';

export interface SweepDeps {
  ucwa: UcwaClient;
  gatekeeper: Gatekeeper;
  cursors: CursorStore;
  log: Logger;
  watchedMeetings: readonly string[];
  /** When the sweep saw each participant, for event-to-action latency; default the wall clock. */
  now?: () => Date;
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
  const seenAt = (): number => (deps.now ? deps.now().getTime() : Date.now());
  const { state } = await deps.cursors.read();
  // The watch owns the application's lifecycle; without one there is nothing to sweep yet.
  if (!state.applicationHref)
    return { meetings: 0, lobbyParticipants: 0, joined: 0, skipped: 'no-application' };
  const app = await deps.ucwa.useApplication(state.applicationHref);
  const read = await readMeetings(deps.ucwa, hrefOf(app.communication, 'conversations'));
  const lobbies = await deps.ucwa.getMany(
    'lobby',
    read.meetings.map(({ conversation }) => deps.ucwa.resolve(hrefOf(conversation, 'lobby') ?? '')),
  );
  let lobbyParticipants = 0;
  // A lobby that could not be read is not an empty one: the others are guarded, then the sweep fails loudly.
  let failure: Error | undefined;
  for (const [index, lobby] of lobbies.entries()) {
    if (!lobby.ok) {
      if (!(lobby.error instanceof UcwaError && lobby.error.action === 'target-gone'))
        failure ??= lobby.error;
      continue;
    }
    const conversationHref = read.meetings[index]?.href ?? '';
    const { participants, error } = await participantsOf(deps.ucwa, lobby.resource);
    failure ??= error;
    for (const participant of participants) {
      const self = hrefOf(participant, 'self');
      if (!self) continue;
      lobbyParticipants++;
      await deps.gatekeeper.guard({
        participant,
        participantHref: deps.ucwa.resolve(self),
        conversationHref,
        receivedAt: seenAt(),
      });
    }
  }
  const joined = await joinAbsentMeetings(deps, read);
  if (failure) throw failure;
  return { meetings: read.meetings.length, lobbyParticipants, joined };
}
