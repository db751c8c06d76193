/**
 * The gatekeeper as the soak runs it: one child process that builds the real runtime from its environment
 * (`parseSettings` → `createRuntime`) and runs the real timer jobs from shared/app/jobs.ts, the way
 * the Functions host's timers would, compressed: `runWatch` back to back with short deadlines, `runSweep` on
 * a short interval. Nothing here re-implements the gatekeeper; the parent kills this process at will.
 *
 * Settings: the gatekeeper's own (UCWA_DISCOVERY_URL, AUTH_MODE=sfb-server with UCWA_USERNAME/UCWA_PASSWORD,
 * GATEKEEPER_MODE, WATCHED_MEETINGS, CHAT_*, AzureWebJobsStorage). Through createRuntime's overrides
 * (all optional):
 *   SOAK_UCWA_TOKEN          a simulator-issued bearer token used instead of signing in (see staticTokens)
 *   SOAK_WATCH_DEADLINE_MS   how long one watch run holds the channel (default 20000)
 *   SOAK_WATCH_RETRY_MS      pause before the next watch run after one ended early (default 2000)
 *   SOAK_SWEEP_EVERY_MS      sweep interval (default 7000)
 *   SOAK_PGET_TIMEOUT_SEC    P-GET `timeout` (default 5; the simulator must accept it: minTimeoutSec)
 *   SOAK_PGET_MARGIN_MS      extra time a P-GET may take before it counts as lost (default 5000)
 *   SOAK_UCWA_TIMEOUT_MS     per-request UCWA timeout (default 8000)
 *   SOAK_RETRY_BASE_MS, SOAK_RETRY_MAX_MS, SOAK_RETRY_AFTER_MAX_MS  UCWA retry policy (defaults 100, 2000, 5000)
 *   SOAK_MAX_MINUTES         the process exits on its own after this long (default 15)
 * Output: one JSON object per line on stdout (`{"t":…,"kind":"log"|"job"|"ready",…}`) for the parent.
 */

import { runSweep, runWatch } from '../../shared/app/jobs.js';
import { createRuntime } from '../../shared/app/runtime.js';
import { parseSettings } from '../../shared/config.js';
import type { Logger } from '../../shared/gatekeeper/logger.js';
import type { TokenSource } from '../../shared/ucwa/token-source.js';

const env = process.env;
const num = (name: string, fallback: number) => {
  const value = Number(env[name]);
  return env[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
};

const WATCH_DEADLINE_MS = num('SOAK_WATCH_DEADLINE_MS', 20_000);
const WATCH_RETRY_MS = num('SOAK_WATCH_RETRY_MS', 2_000);
const SWEEP_EVERY_MS = num('SOAK_SWEEP_EVERY_MS', 7_000);
const LIFETIME_MS = num('SOAK_MAX_MINUTES', 15) * 60_000;
/** Every loop is bounded in count as well as in time. */
const MAX_RUNS = 10_000;

function emit(kind: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ t: Date.now(), kind, ...fields })}\n`);
}

const log: Logger = {
  info: (message, properties) => emit('log', { level: 'info', message, ...properties }),
  warn: (message, properties) => emit('log', { level: 'warn', message, ...properties }),
  error: (message, properties) => emit('log', { level: 'error', message, ...properties }),
};

const describe = (error: unknown) =>
  error instanceof Error ? { error: error.message, name: error.name } : { error: String(error) };

const stop = new AbortController();
const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop.signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.signal.addEventListener('abort', done, { once: true });
  });

/**
 * SOAK_UCWA_TOKEN: a token the simulator issued (valid on all its origins), used instead of signing in, like
 * the tests' token source. Unset, the settings decide (AUTH_MODE=sfb-server: see the soak's --auth option).
 */
function staticTokens(): TokenSource | undefined {
  const token = env.SOAK_UCWA_TOKEN;
  if (!token) return undefined;
  const scopes = ['Conversations.Initiate', 'Conversations.Receive', 'User.ReadWrite'];
  return { getToken: async () => ({ token, scopes, expiresOn: Date.now() + 3_600_000 }) };
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const tokens = staticTokens();
  const rt = await createRuntime(parseSettings(env), {
    log,
    ...(tokens && { tokens }),
    ucwa: {
      eventChannel: {
        timeoutSec: num('SOAK_PGET_TIMEOUT_SEC', 5),
        marginMs: num('SOAK_PGET_MARGIN_MS', 5_000),
      },
      retry: {
        baseMs: num('SOAK_RETRY_BASE_MS', 100),
        maxMs: num('SOAK_RETRY_MAX_MS', 2_000),
        maxRetryAfterMs: num('SOAK_RETRY_AFTER_MAX_MS', 5_000),
      },
      timeoutMs: num('SOAK_UCWA_TIMEOUT_MS', 8_000),
    },
    // Chat retries on the soak's scale: production's 30 s first backoff cannot settle within the quiet phase.
    outbox: {
      backoff: { baseMs: num('SOAK_CHAT_BACKOFF_MS', 1_000), maxMs: num('SOAK_CHAT_BACKOFF_MAX_MS', 5_000) },
      leaseMs: num('SOAK_CHAT_LEASE_MS', 15_000),
    },
  });
  emit('ready', { pid: process.pid, ms: Date.now() - startedAt });
  const alive = () => !stop.signal.aborted && Date.now() - startedAt < LIFETIME_MS;

  const sweeps = (async () => {
    for (let run = 0; run < MAX_RUNS && alive(); run++) {
      await sleep(SWEEP_EVERY_MS);
      if (!alive()) break;
      const began = Date.now();
      try {
        const result = await runSweep(rt);
        emit('job', { job: 'sweep', ms: Date.now() - began, ...result });
      } catch (error) {
        emit('job', { job: 'sweep', ms: Date.now() - began, failed: true, ...describe(error) });
      }
    }
  })();

  for (let run = 0; run < MAX_RUNS && alive(); run++) {
    const began = Date.now();
    try {
      const result = await runWatch(rt, began + WATCH_DEADLINE_MS, stop.signal);
      emit('job', { job: 'watch', ms: Date.now() - began, ...result });
      if (result.outcome === 'another-consumer') await sleep(WATCH_RETRY_MS);
    } catch (error) {
      emit('job', { job: 'watch', ms: Date.now() - began, failed: true, ...describe(error) });
      await sleep(WATCH_RETRY_MS);
    }
  }
  await sweeps;
}

// SIGTERM is the orderly end (the watch lets go of the lease); the soak's crashes are SIGKILLs.
process.once('SIGTERM', () => stop.abort());
// Never outlive the soak: stdin is a pipe from the parent, closed however the parent dies. (Done here, not
// with dev/exit-with-parent.cjs: that preload, run before tsx's loader, stalls the module loading.)
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
main().then(
  () => process.exit(0),
  (error: unknown) => {
    emit('fatal', describe(error));
    process.exit(1);
  },
);
