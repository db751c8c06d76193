import { describeError, errorName } from '../lib/describe-error.js';
import type { Telemetry } from '../telemetry.js';
import { UcwaError } from '../ucwa/errors.js';
import type { ChannelEvent } from '../ucwa/event-channel.js';
import type { Participant } from '../ucwa/schemas.js';
import { BarrierBatch } from './barrier-batch.js';
import { type EventMeaning, meaningOf } from './event-meaning.js';
import { isRefusedForItem, isTransient } from './failures.js';
import type { InvitationGuard } from './invitation-guard.js';
import type { LobbyGuard, Removal } from './lobby-guard.js';
import type { Logger } from './logger.js';
import type { ClaimOpening, ClaimStore, GatekeeperUcwa } from './ports.js';

/** Where events came from: the server's own channel, or a relay whose pushed data is never trusted for actions. */
export interface EventSource {
  trusted: boolean;
  /** When the batch arrived, for event-to-action latency. */
  receivedAt: number;
}

export interface HandleResult {
  handled: number;
  rejected: number;
  ignored: number;
}

export interface EventBatchDeps {
  ucwa: GatekeeperUcwa;
  claims: Pick<ClaimStore, 'openMany'>;
  invitations: InvitationGuard;
  lobby: LobbyGuard;
  telemetry: Telemetry;
  log: Logger;
  /** UCWA round trips so far (a counter), for the per-event metric. */
  roundTrips?: () => number;
}

type LobbyMeaning = Extract<EventMeaning, { kind: 'lobby' }>;

/**
 * One batch of events: invitations in order; lobby participants concurrently (each participant's events in
 * order), the ones to read fetched in one batch and their removals posted in one batch. An outage (network,
 * 5xx, throttling, storage) propagates so the batch is retried; anything about one event alone (an odd
 * payload, a missing capability) rejects that event — logged and counted — and the rest goes on.
 */
export async function handleEventBatch(
  deps: EventBatchDeps,
  events: readonly ChannelEvent[],
  source: EventSource,
  /** Events the channel could not read (they failed the event schema): each rejected alone. */
  unreadable: readonly Error[] = [],
): Promise<HandleResult> {
  const result: HandleResult = { handled: 0, rejected: 0, ignored: 0 };
  const tripsBefore = deps.roundTrips?.() ?? 0;
  for (const error of unreadable) reject(deps, undefined, error, result);
  const invitations: { event: ChannelEvent; meaning: Extract<EventMeaning, { kind: 'invitation' }> }[] = [];
  const lobby = new Map<string, { event: ChannelEvent; meaning: LobbyMeaning }[]>();
  for (const event of events) {
    const meaning = resolved(meaningOf(event), deps.ucwa);
    if (meaning.kind === 'invitation') invitations.push({ event, meaning });
    // Roster arrivals matter only to a policy with an `on: "roster"` rule; otherwise they are not even read.
    else if (meaning.kind === 'lobby' && (meaning.where === 'lobby' || deps.lobby.watchesRoster)) {
      lobby.set(meaning.participantHref, [...(lobby.get(meaning.participantHref) ?? []), { event, meaning }]);
    } else result.ignored++;
  }

  const outages: unknown[] = [];
  const settle = async (event: ChannelEvent, work: () => Promise<unknown>) => {
    try {
      await work();
      result.handled++;
    } catch (error) {
      if (isTransient(error) || (error instanceof UcwaError && error.applicationGone)) outages.push(error);
      else reject(deps, event, error, result);
    }
  };

  // The channel's embedded participant is the server's current view; anything else (pushed, or a copy that
  // does not say whether they wait in the lobby) is (re-)read first.
  const usable = (meaning: LobbyMeaning) =>
    source.trusted && meaning.embedded?.inLobby !== undefined ? meaning.embedded : undefined;
  const toRead = [...lobby.values()].flatMap((group) =>
    group.some(({ meaning }) => !usable(meaning)) ? [group[0]?.meaning.participantHref ?? ''] : [],
  );
  const fresh = new Map<string, { participant: Participant | undefined } | { error: Error }>();
  if (toRead.length > 0) {
    for (const read of await deps.ucwa.getMany('participant', toRead)) {
      if (read.ok) fresh.set(read.href, { participant: read.resource });
      else if (read.error instanceof UcwaError && read.error.action === 'target-gone')
        fresh.set(read.href, { participant: undefined });
      // Any other failure belongs to that participant alone: the others are guarded now, and an outage
      // among them still sends the batch round again (settle below).
      else fresh.set(read.href, { error: read.error });
    }
  }
  const removals = new BarrierBatch((items: Removal[]) => deps.ucwa.removeParticipants(items));
  // Their claims wait at the same barrier: one store call (a transaction per meeting) right before the POST.
  const openings = removals.also((items: ClaimOpening[]) => deps.claims.openMany(items));
  const openClaim = async (key: string, fresh: ClaimOpening['fresh']) => {
    const opened = await openings({ key, fresh });
    if (opened.status === 'rejected') throw opened.reason;
    return opened.value;
  };
  await Promise.all([
    (async () => {
      for (const { event, meaning } of invitations)
        await settle(event, () =>
          deps.invitations.guard(meaning.rel, meaning.href, source.trusted ? meaning.embedded : undefined),
        );
    })(),
    ...[...lobby.values()].map((group) =>
      removals.worker(async (submit) => {
        for (const { event, meaning } of group) {
          await settle(event, async () => {
            const read = usable(meaning)
              ? { participant: usable(meaning) }
              : fresh.get(meaning.participantHref);
            if (read && 'error' in read) {
              // A 403 on reading this participant is final for it: said once, not retried with the batch.
              if (isRefusedForItem(read.error))
                return deps.lobby.refusedRead(
                  meaning.participantHref,
                  meaning.conversationHref,
                  meaning.where,
                  read.error,
                );
              throw read.error;
            }
            if (read?.participant)
              return deps.lobby.guard({
                participant: read.participant,
                participantHref: meaning.participantHref,
                conversationHref: meaning.conversationHref,
                receivedAt: source.receivedAt,
                remove: submit,
                openClaim,
                where: meaning.where,
              });
            // Gone: finish what an earlier attempt may have left unreported.
            return deps.lobby.finishIfUnfinished(meaning.participantHref, source.receivedAt);
          });
        }
      }),
    ),
  ]);
  if (outages.length > 0) throw outages[0];
  if (result.handled > 0 && deps.roundTrips) {
    deps.telemetry.metric('UcwaRoundTripsPerEvent', (deps.roundTrips() - tripsBefore) / result.handled);
  }
  return result;
}

/**
 * Every href the gatekeeper keys or compares by is absolute: UCWA links are mostly relative, and the sweep
 * and recovery see the same participant through absolute ones — one participant, one claim.
 */
function resolved(meaning: EventMeaning, ucwa: GatekeeperUcwa): EventMeaning {
  if (meaning.kind === 'invitation') return { ...meaning, href: ucwa.resolve(meaning.href) };
  if (meaning.kind === 'lobby' || meaning.kind === 'lobby-left')
    return {
      ...meaning,
      participantHref: ucwa.resolve(meaning.participantHref),
      conversationHref: ucwa.resolve(meaning.conversationHref),
    };
  return meaning;
}

function reject(
  deps: EventBatchDeps,
  event: ChannelEvent | undefined,
  error: unknown,
  result: HandleResult,
): void {
  result.rejected++;
  deps.log.warn('Rejected a UCWA event', {
    rel: event?.link.rel ?? 'unreadable',
    type: event ? String(event.type) : 'unreadable',
    error: describeError(error),
  });
  deps.telemetry.event('EventRejected', {
    rel: event?.link.rel ?? 'unreadable',
    type: event ? String(event.type) : 'unreadable',
    error: errorName(error),
  });
}
