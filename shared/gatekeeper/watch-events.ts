import { type Backoff, backoffDelay } from '../lib/backoff.js';
import { describeError } from '../lib/describe-error.js';
import { sleep } from '../lib/sleep.js';
import type { ChannelLease } from '../store/channel-lease.js';
import { type ChannelState, ConcurrencyError, type CursorStore } from '../store/cursor-store.js';
import type { Telemetry } from '../telemetry.js';
import type { ApplicationHandle, UcwaClient } from '../ucwa/client.js';
import { needsRediscovery, UcwaError } from '../ucwa/errors.js';
import { hrefOf } from '../ucwa/links.js';
import {
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_RECREATION,
  keepAlive,
  planRecreation,
  type RecreationPolicy,
} from './application-upkeep.js';
import { type BackgroundLoop, repeatInBackground } from './background.js';
import type { Gatekeeper } from './gatekeeper.js';
import type { Logger } from './logger.js';
import { joinAbsentMeetings, readMeetings } from './meetings.js';

export interface WatchDeps {
  ucwa: UcwaClient;
  gatekeeper: Gatekeeper;
  cursors: CursorStore;
  lease: ChannelLease;
  telemetry: Telemetry;
  log: Logger;
  /** Meetings to (re)join whenever the application is new: WATCHED_MEETINGS. */
  watchedMeetings: readonly string[];
  /** Report activity this often (UCWA_KEEPALIVE_SECONDS); default 180 s. */
  keepaliveMs?: number;
  /** How re-creating a dropped application is spaced out and when it alerts. */
  recreation?: Partial<RecreationPolicy>;
  /** Deliver queued chat notices, honouring the signal; runs in the background, never on the event path. */
  deliver?: (signal: AbortSignal) => Promise<unknown>;
  /** Raise an alert (chat, telemetry) for a failure that persists. */
  alert?: (error: unknown) => void;
  /** The clock `deadline` is read on (the runtime's); default the wall clock. */
  now?: () => Date;
}

export interface WatchResult {
  outcome: 'stopped-at-deadline' | 'another-consumer' | 'aborted';
  batches: number;
  events: number;
  recreated: number;
}

/** A batch whose handling keeps failing is re-read after at most 8 s (the P-GET gap stays short). */
const RETRY_PAUSE: Backoff = { baseMs: 500, maxMs: 8_000 };
/** After this many failures in a row, say so loudly (an alert); the retries go on. */
const ALERT_AFTER_FAILURES = 4;
/** The lease lasts 15 s: renewed three times within it, so one failed renewal never loses it. */
const RENEW_EVERY_MS = 5_000;
/** How long a run waits for a lease a crashed run left behind (it lasts 15 s), and how often it asks. */
const LEASE_WAIT_MS = 30_000;
const LEASE_RETRY_MS = 3_000;
/** Queued notices are looked at this often, and at once after a batch queued some. */
const DELIVER_EVERY_MS = 2_000;
/** Effects other runs left unfinished are looked for this often. */
const RECOVER_EVERY_MS = 30_000;

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
  const now = clockOf(deps);
  // Started while the app shuts down: take no lease, create no application.
  if (signal?.aborted) return { ...result, outcome: 'aborted' };
  if (!(await acquireLease(deps, deadline, signal))) {
    deps.log.warn('Another consumer holds the UCWA event channel; this run does nothing');
    return { ...result, outcome: 'another-consumer' };
  }
  // The lease is renewed in the background: a P-GET may be parked for minutes, longer than the lease lasts.
  const leaseLost = new AbortController();
  // A renewal that fails for an outage keeps the lease (it is ours until it expires); only a lost one stops.
  const renewal = setInterval(() => {
    deps.lease.renew().then(
      (held) => held || leaseLost.abort(),
      (error: unknown) => deps.log.warn('Could not renew the channel lease', { error: describeError(error) }),
    );
  }, RENEW_EVERY_MS);
  const stopBackground = new AbortController();
  const stop = AbortSignal.any([
    AbortSignal.timeout(Math.max(0, deadline - now())),
    leaseLost.signal,
    stopBackground.signal,
    ...(signal ? [signal] : []),
  ]);
  let failures = 0;
  const recreation = { ...DEFAULT_RECREATION, ...deps.recreation };
  const onError = (task: string) => (error: unknown) =>
    deps.log.warn(`${task} failed; will try again`, { error: describeError(error) });
  const background: BackgroundLoop[] = [];
  try {
    let { state, etag } = await deps.cursors.read();
    let app = await attach(deps, state);
    if (app.origin === 'created' || !state.cursor || state.applicationHref !== app.href) {
      state = { ...state, applicationHref: app.href, cursor: app.eventsHref };
      etag = await deps.cursors.write(state, etag);
      if (app.origin === 'created') await rejoin(deps, app);
    }
    let channel = await deps.ucwa.eventChannel(state.cursor);
    // Chat and recovery run beside the channel, once the application is held: a chat outage must never
    // delay the next P-GET, and recovery must never create an application of its own.
    const delivery = deps.deliver
      ? repeatInBackground(deps.deliver, {
          everyMs: DELIVER_EVERY_MS,
          signal: stop,
          onError: onError('Chat delivery'),
        })
      : undefined;
    if (delivery) background.push(delivery);
    background.push(
      repeatInBackground(() => deps.gatekeeper.recover(), {
        everyMs: RECOVER_EVERY_MS,
        signal: stop,
        onError: onError('Recovering unfinished effects'),
      }),
    );
    // Beside the channel, so a parked P-GET never delays a report (docs/ucwa-protocol.md §4.3).
    background.push(
      keepAlive(
        {
          report: (signal) => deps.ucwa.reportMyActivity({ abortSignal: signal }),
          log: deps.log,
          ...alerting(deps),
        },
        deps.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
        stop,
      ),
    );

    while (!stop.aborted) {
      let batch: Awaited<ReturnType<typeof channel.poll>>;
      try {
        batch = await channel.poll({ abortSignal: stop });
      } catch (error) {
        if (stop.aborted) break;
        const gone = error instanceof UcwaError && error.applicationGone;
        if (gone || needsRediscovery(error)) {
          // The server dropped the application, or its pool no longer serves it (§2.3, §4.2): re-attach
          // (rediscovering first) or re-create, spaced out, and start its channel from the beginning.
          const plan = planRecreation(state.recreatedAt, now(), recreation);
          const reason = error instanceof UcwaError ? (error.subcode ?? error.code) : 'ConnectionFailure';
          deps.log.warn(
            gone ? 'UCWA application gone; re-creating it' : 'UCWA pool unreachable; rediscovering',
            {
              reason,
              ...(plan.delayMs > 0 ? { afterMs: plan.delayMs } : {}),
            },
          );
          if (plan.atLimit) {
            const limit = new Error(
              `UCWA dropped the application ${recreation.limit} times within ${recreation.windowMs / 60_000} minutes; still re-creating it, with backoff`,
            );
            deps.log.error(limit.message, { reason });
            deps.alert?.(limit);
          }
          await sleep(plan.delayMs, stop).catch(() => undefined);
          try {
            const options = { abortSignal: stop };
            app = await (gone ? deps.ucwa.recreateApplication(options) : deps.ucwa.rediscover(options));
          } catch (renewal) {
            if (stop.aborted) break;
            throw renewal;
          }
          const created = app.origin === 'created';
          if (created) {
            result.recreated++;
            deps.telemetry.event('ApplicationRecreated', { reason });
          }
          state = {
            ...state,
            applicationHref: app.href,
            recreatedAt: plan.history,
            ...(created ? { cursor: app.eventsHref } : {}),
          };
          etag = await deps.cursors.write(state, etag);
          if (created) await rejoin(deps, app);
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
        await deps.ucwa.attachApplication(app.href, { abortSignal: stop });
        await rejoin(deps, app);
      }
      const receivedAt = now();
      const polledAt = new Date(receivedAt).toISOString();
      const next: ChannelState = {
        ...state,
        cursor: batch.next,
        lastPollAt: polledAt,
        ...(batch.events.length > 0 ? { lastEventAt: polledAt } : {}),
      };
      try {
        const handled = await deps.gatekeeper.handleEvents(
          batch.events,
          { trusted: true, receivedAt },
          batch.unreadable,
        );
        if (handled.handled > 0) delivery?.wake();
        etag = await deps.cursors.write(next, etag);
        state = next;
        failures = 0;
      } catch (error) {
        if (error instanceof ConcurrencyError) return { ...result, outcome: 'another-consumer' };
        if (stop.aborted) break;
        // An outage of UCWA or storage: keep holding the channel — re-reading the same batch is a P-GET, so
        // the server keeps the application and its events — with a capped backoff, loudly once it persists.
        failures++;
        const details = { attempt: failures, error: describeError(error) };
        if (failures === ALERT_AFTER_FAILURES) {
          deps.log.error('Handling a batch keeps failing; still retrying', details);
          deps.alert?.(error);
        } else deps.log.warn('Handling a batch failed; re-reading it', details);
        await sleep(backoffDelay(RETRY_PAUSE, failures - 1, 'none'), stop).catch(() => undefined);
        channel = await deps.ucwa.eventChannel(state.cursor);
      }
    }
    if (leaseLost.signal.aborted) return { ...result, outcome: 'another-consumer' };
    return { ...result, outcome: signal?.aborted ? 'aborted' : 'stopped-at-deadline' };
  } finally {
    clearInterval(renewal);
    stopBackground.abort();
    await Promise.all(background.map((loop) => loop.done));
    await deps.lease.release();
  }
}

/** Epoch milliseconds on the watch's clock. */
function clockOf(deps: Pick<WatchDeps, 'now'>): () => number {
  const { now } = deps;
  return now ? () => now().getTime() : Date.now;
}

function alerting(deps: WatchDeps): { alert?: (error: unknown) => void } {
  return deps.alert ? { alert: deps.alert } : {};
}

/**
 * The lease, waiting for it a little: a run that crashed leaves it held until it expires (15 s), and the
 * next timer tick is minutes away, so giving up at once would leave the channel unread that long. Storage
 * errors while waiting count as "not yet"; the last one propagates.
 */
async function acquireLease(deps: WatchDeps, deadline: number, signal?: AbortSignal): Promise<boolean> {
  const now = clockOf(deps);
  const until = Math.min(deadline, now() + LEASE_WAIT_MS);
  for (let attempt = 0; ; attempt++) {
    try {
      if (await deps.lease.acquire()) return true;
    } catch (error) {
      if (now() + LEASE_RETRY_MS >= until) throw error;
    }
    if (now() + LEASE_RETRY_MS >= until || signal?.aborted || attempt > LEASE_WAIT_MS / LEASE_RETRY_MS)
      return false;
    await sleep(LEASE_RETRY_MS, signal).catch(() => undefined);
  }
}

async function attach(deps: WatchDeps, state: ChannelState): Promise<ApplicationHandle> {
  return state.applicationHref ? deps.ucwa.attachApplication(state.applicationHref) : deps.ucwa.application();
}

/** Join every watched meeting the account is shown not to be in (meetings.ts says why only those). */
async function rejoin(deps: WatchDeps, app: ApplicationHandle): Promise<void> {
  if (deps.watchedMeetings.length === 0) return;
  await joinAbsentMeetings(deps, await readMeetings(deps.ucwa, hrefOf(app.communication, 'conversations')));
}
