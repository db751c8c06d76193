import type { ChannelLease } from '../store/channel-lease.js';
import { type ChannelState, ConcurrencyError, type CursorStore } from '../store/cursor-store.js';
import type { Telemetry } from '../telemetry.js';
import type { ApplicationHandle, UcwaClient } from '../ucwa/client.js';
import { UcwaError } from '../ucwa/errors.js';
import { sleep } from '../ucwa/retry.js';
import { isTransient } from './failures.js';
import type { Gatekeeper } from './gatekeeper.js';
import type { Logger } from './logger.js';

export interface WatchDeps {
  ucwa: UcwaClient;
  gatekeeper: Gatekeeper;
  cursors: CursorStore;
  lease: ChannelLease;
  telemetry: Telemetry;
  log: Logger;
  /** Meetings to (re)join whenever the application is new: WATCHED_MEETINGS. */
  watchedMeetings: readonly string[];
  /** Report activity every few minutes (UCWA_KEEPALIVE). */
  keepalive?: boolean;
  /** Deliver queued chat notices; called after every handled batch. */
  drainOutbox?: () => Promise<unknown>;
}

export interface WatchResult {
  outcome: 'stopped-at-deadline' | 'another-consumer' | 'aborted';
  batches: number;
  events: number;
  recreated: number;
}

/** A batch whose handling keeps failing is retried this often within a run, then the run fails. */
const MAX_BATCH_RETRIES = 4;
/** UCWA asks for activity reports at least every four minutes. */
const REPORT_ACTIVITY_EVERY_MS = 3 * 60_000;
/** The lease is renewed at least this often; it lasts 60 s. */
const RENEW_EVERY_MS = 20_000;

/**
 * Hold the UCWA event channel until `deadline`, then let go: one timer run's worth of the watch. The cursor
 * (`next`) is saved after each batch is handled, so the next run continues exactly there; a crash re-reads
 * the unhandled batch. Only the holder of the channel lease polls.
 */
export async function watchEvents(
  deps: WatchDeps,
  deadline: number,
  signal?: AbortSignal,
): Promise<WatchResult> {
  const result: WatchResult = { outcome: 'stopped-at-deadline', batches: 0, events: 0, recreated: 0 };
  if (!(await deps.lease.acquire())) {
    deps.log.warn('Another consumer holds the UCWA event channel; this run does nothing');
    return { ...result, outcome: 'another-consumer' };
  }
  // The lease is renewed in the background: a P-GET may be parked for minutes, longer than the lease lasts.
  const leaseLost = new AbortController();
  const renewal = setInterval(() => {
    deps.lease.renew().then(
      (held) => held || leaseLost.abort(),
      () => leaseLost.abort(),
    );
  }, RENEW_EVERY_MS);
  const stop = AbortSignal.any([
    AbortSignal.timeout(Math.max(0, deadline - Date.now())),
    leaseLost.signal,
    ...(signal ? [signal] : []),
  ]);
  let reportedAt = 0;
  let failures = 0;
  try {
    let { state, etag } = await deps.cursors.read();
    let app = await attach(deps, state);
    if (app.origin === 'created' || !state.cursor || state.applicationHref !== app.href) {
      state = { ...state, applicationHref: app.href, cursor: app.eventsHref };
      etag = await deps.cursors.write(state, etag);
      if (app.origin === 'created') await rejoin(deps);
    }
    let channel = await deps.ucwa.eventChannel(state.cursor);

    while (!stop.aborted) {
      if (deps.keepalive && Date.now() - reportedAt > REPORT_ACTIVITY_EVERY_MS) {
        // Keeps availability from degrading; only possible with User.ReadWrite (UCWA_KEEPALIVE).
        await deps.ucwa
          .reportMyActivity(stop)
          .catch((error: unknown) =>
            deps.log.warn('reportMyActivity failed', { error: (error as Error).message }),
          );
        reportedAt = Date.now();
      }
      let batch: Awaited<ReturnType<typeof channel.poll>>;
      try {
        batch = await channel.poll(stop);
      } catch (error) {
        if (stop.aborted) break;
        if (error instanceof UcwaError && error.applicationGone) {
          // The server dropped the application: make a new one, rejoin, start its channel from the beginning.
          result.recreated++;
          deps.telemetry.event('ApplicationRecreated', { reason: error.subcode ?? error.code });
          deps.log.warn('UCWA application gone; re-creating it', {
            status: error.status,
            subcode: error.subcode,
          });
          app = await deps.ucwa.recreateApplication(stop);
          state = { ...state, applicationHref: app.href, cursor: app.eventsHref };
          etag = await deps.cursors.write(state, etag);
          await rejoin(deps);
          channel = await deps.ucwa.eventChannel(state.cursor);
          continue;
        }
        if (error instanceof UcwaError && error.action === 'duplicate-consumer') {
          deps.log.error(
            'Another client replaced our pending event request (409 PGetReplaced): a second consumer is using this application',
          );
        }
        throw error;
      }
      result.batches++;
      result.events += batch.events.length;
      if (batch.kind === 'resume') {
        // The server reset transient state after a silence: be available again and rejoin the meetings.
        await deps.ucwa.attachApplication(app.href, stop);
        await rejoin(deps);
      }
      try {
        await deps.gatekeeper.handleEvents(batch.events, { trusted: true, receivedAt: Date.now() });
        failures = 0;
      } catch (error) {
        // UCWA or storage hiccup: keep holding the channel (unfetched messages die after ~30 s) and re-read
        // the same batch from the saved cursor after a pause; give up loudly after a few tries.
        if (!isTransient(error) || ++failures > MAX_BATCH_RETRIES || stop.aborted) throw error;
        deps.log.warn('Handling a batch failed; re-reading it', {
          attempt: failures,
          error: (error as Error).message,
        });
        await sleep(Math.min(30_000, 1_000 * 2 ** (failures - 1)), stop).catch(() => undefined);
        channel = await deps.ucwa.eventChannel(state.cursor);
        continue;
      }
      const now = new Date().toISOString();
      state = {
        ...state,
        cursor: batch.next,
        lastPollAt: now,
        ...(batch.events.length > 0 ? { lastEventAt: now } : {}),
      };
      try {
        etag = await deps.cursors.write(state, etag);
      } catch (error) {
        if (error instanceof ConcurrencyError) return { ...result, outcome: 'another-consumer' };
        throw error;
      }
      await deps.drainOutbox?.();
    }
    if (leaseLost.signal.aborted) return { ...result, outcome: 'another-consumer' };
    return { ...result, outcome: signal?.aborted ? 'aborted' : 'stopped-at-deadline' };
  } finally {
    clearInterval(renewal);
    await deps.lease.release();
  }
}

async function attach(deps: WatchDeps, state: ChannelState): Promise<ApplicationHandle> {
  return state.applicationHref ? deps.ucwa.attachApplication(state.applicationHref) : deps.ucwa.application();
}

/** Join every watched meeting; one that cannot be joined is reported and skipped. */
async function rejoin(deps: WatchDeps): Promise<void> {
  for (const uri of deps.watchedMeetings) {
    try {
      await deps.ucwa.joinOnlineMeeting(uri);
    } catch (error) {
      deps.log.error('Could not join a watched meeting', { meeting: uri, error: (error as Error).message });
    }
  }
}
