import type { Notice } from '../chat/notice.js';
import { buildDigest } from '../gatekeeper/digest.js';
import { purgeExpired, type RetentionResult } from '../gatekeeper/retention.js';
import { type SweepResult, sweepLobbies } from '../gatekeeper/sweep-lobbies.js';
import { type WatchDeps, type WatchResult, watchEvents } from '../gatekeeper/watch-events.js';
import { errorMessage, errorName } from '../lib/describe-error.js';
import { scrub, scrubError } from '../scrub.js';
import { CursorStore } from '../store/cursor-store.js';
import { jobBoard } from './health.js';
import type { Runtime } from './runtime.js';

/**
 * The timer jobs, each a use case over the runtime. A failing job posts one alert per job, error kind and
 * hour to chat (loud when something breaks, never a flood), then fails so the host records it too.
 */
async function loudly<T>(rt: Runtime, job: string, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    jobBoard.record(job, true, Date.now(), rt.account);
    return result;
  } catch (error) {
    jobBoard.record(job, false, Date.now(), rt.account);
    await raiseAlert(rt, job, error, 'failed');
    await rt.drainOutbox().catch(() => undefined);
    // The host logs what it catches: hand it the scrubbed error, never a message naming people.
    throw scrubError(error);
  } finally {
    await rt.telemetry.flush().catch(() => undefined);
  }
}

/** One alert per job, error kind and hour: to telemetry and, through the outbox, to chat. */
async function raiseAlert(rt: Runtime, job: string, error: unknown, what: string): Promise<void> {
  const name = errorName(error);
  const now = rt.now();
  const alert: Notice = {
    id: `alert|${job}|${name}|${now.toISOString().slice(0, 13)}`,
    kind: 'alert',
    at: now.toISOString(),
    mode: rt.settings.GATEKEEPER_MODE,
    alert: {
      title: `${job} ${what}: ${name}`,
      detail: scrub(errorMessage(error)),
    },
  };
  rt.telemetry.exception(error, { job });
  await rt.outbox.enqueue(alert).catch(() => undefined);
}

/** What the watch runs on: the runtime's parts and settings, alerts through the outbox. */
export function watchDeps(rt: Runtime): WatchDeps {
  return {
    ucwa: rt.ucwa,
    gatekeeper: rt.gatekeeper,
    cursors: rt.cursors,
    lease: rt.lease,
    telemetry: rt.telemetry,
    log: rt.log,
    watchedMeetings: rt.settings.WATCHED_MEETINGS,
    keepaliveMs: rt.settings.UCWA_KEEPALIVE_SECONDS * 1000,
    deliver: (stop) => rt.drainOutbox(stop),
    alert: (error) => void raiseAlert(rt, 'watchEvents', error, 'keeps failing'),
    now: rt.now,
  };
}

/** Hold the event channel until `deadline` (epoch ms on the runtime's clock, shortly before the next run is due). */
export function runWatch(rt: Runtime, deadline: number, signal?: AbortSignal): Promise<WatchResult> {
  return loudly(rt, 'watchEvents', async () => {
    warm(rt);
    const result = await watchEvents(watchDeps(rt), deadline, signal);
    // Shutting down, what is still queued is left to the next instance: the grace period is short.
    await rt.drainOutbox(signal);
    return result;
  });
}

/**
 * Beside the lease and the application, what the first removal after a start would otherwise wait for: the
 * claim and audit tables, and the claim store's look at the previous key layout. A failure is only logged;
 * the same steps run again on first use.
 */
function warm(rt: Runtime): void {
  const steps = { claims: () => rt.claims.warm(), audit: () => rt.audit.warm() };
  for (const [name, step] of Object.entries(steps))
    step().catch((error: unknown) =>
      rt.log.warn(`Preparing the ${name} table failed; it is tried again on first use`, {
        error: errorMessage(error),
      }),
    );
}

export function runSweep(rt: Runtime): Promise<SweepResult> {
  return loudly(rt, 'sweepLobbies', async () => {
    // Effects a run left unfinished (it died, or an outage outlasted its retries) are finished first.
    await rt.gatekeeper.recover();
    const result = await sweepLobbies({
      ucwa: rt.ucwa,
      gatekeeper: rt.gatekeeper,
      cursors: rt.cursors,
      log: rt.log,
      watchedMeetings: rt.settings.WATCHED_MEETINGS,
      now: rt.now,
    });
    await rt.drainOutbox();
    return result;
  });
}

/** Daily: delete finished notices and claims, and audit rows, past their retention (see retention.ts). */
export function runRetention(rt: Runtime, now = rt.now()): Promise<RetentionResult> {
  return loudly(rt, 'purgeExpired', () =>
    purgeExpired(
      {
        outbox: rt.outbox,
        claims: rt.claims,
        audit: rt.audit,
        outboxDays: rt.settings.OUTBOX_RETENTION_DAYS,
        auditDays: rt.settings.AUDIT_RETENTION_DAYS,
      },
      now,
    ),
  );
}

/**
 * Post a digest of the audit since the last one, when anything happened; quiet otherwise. The period's end is
 * saved only after the notice is queued, so a crash repeats the same period (same notice id, no duplicate).
 */
export function runDigest(rt: Runtime, now = rt.now()): Promise<Notice | undefined> {
  return loudly(rt, 'digest', async () => {
    const store = new CursorStore(rt.cursors.table, 'digest');
    const { state, etag } = await store.read();
    const start = state.digestedUntil ? new Date(state.digestedUntil) : new Date(now.getTime() - 60 * 60_000);
    const notice = await buildDigest(rt.audit, start, now, rt.settings.GATEKEEPER_MODE);
    if (notice) await rt.outbox.enqueue(notice);
    await store.write({ digestedUntil: now.toISOString() }, etag);
    await rt.drainOutbox();
    return notice;
  });
}
