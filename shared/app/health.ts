import { parseSettings, SettingsError } from '../config.js';
import { errorName } from '../lib/describe-error.js';
import type { Runtime } from './runtime.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, { ok: boolean; detail?: string }>;
  lastEventAt?: string;
  lastPollAt?: string;
  tokenExpiresOn?: string;
  /** The last run of each timer job in this process. */
  jobs?: Record<string, { ok: boolean; at: string }>;
}

/** What anonymous callers get: a status and nothing else. */
export interface PublicHealth {
  status: 'ok' | 'degraded' | 'unknown';
}

/** The channel counts as stale when no P-GET completed for this long (a run polls every few minutes). */
const STALE_AFTER_MS = 10 * 60_000;
/** Job runs older than this say nothing any more (timers may have moved to another instance). */
const RUNS_FORGOTTEN_AFTER_MS = 30 * 60_000;

/**
 * The outcome of the timer jobs' last runs in this process, recorded by the jobs themselves, so that an
 * anonymous health probe is answered from memory: no UCWA request, no storage read, nothing to amplify.
 */
export class JobBoard {
  private readonly runs = new Map<string, { ok: boolean; at: number }>();

  record(job: string, ok: boolean, at = Date.now()): void {
    this.runs.set(job, { ok, at });
  }

  /** `unknown` until a job ran here (or for half an hour); `degraded` while any job's last run failed. */
  status(now = Date.now()): PublicHealth {
    const recent = [...this.runs.values()].filter((run) => now - run.at < RUNS_FORGOTTEN_AFTER_MS);
    if (recent.length === 0) return { status: 'unknown' };
    return { status: recent.every((run) => run.ok) ? 'ok' : 'degraded' };
  }

  snapshot(): Record<string, { ok: boolean; at: string }> {
    return Object.fromEntries(
      [...this.runs].map(([job, run]) => [job, { ok: run.ok, at: new Date(run.at).toISOString() }]),
    );
  }
}

/** The process's board: the timer jobs write it, the health functions read it. */
export const jobBoard = new JobBoard();

/**
 * The full report (`GET /api/health/report`, function key): settings valid, UCWA reachable, when the channel
 * last delivered, when the UCWA token expires, the timer jobs' last runs. Never a secret or a setting's value.
 */
export async function checkHealth(
  env: Record<string, string | undefined>,
  runtime: () => Promise<Runtime>,
  now = Date.now(),
  board: JobBoard = jobBoard,
): Promise<HealthReport> {
  const report: HealthReport = { status: 'ok', checks: {}, jobs: board.snapshot() };
  try {
    parseSettings(env);
    report.checks.settings = { ok: true };
  } catch (error) {
    report.checks.settings = {
      ok: false,
      detail: error instanceof SettingsError ? error.message : 'unreadable',
    };
    report.status = 'degraded';
    return report;
  }
  try {
    const rt = await runtime();
    // UCWA and storage are asked at once: a report takes one round trip, not two.
    const [probe, cursor] = await Promise.allSettled([
      rt.ucwa.probeDiscovery({ timeoutMs: 5_000 }),
      rt.cursors.read(),
    ]);
    report.checks.ucwa =
      probe.status === 'fulfilled'
        ? { ok: true }
        : { ok: false, detail: `discovery unreachable: ${errorName(probe.reason)}` };
    if (cursor.status === 'rejected') throw cursor.reason;
    const { state } = cursor.value;
    if (state.lastEventAt) report.lastEventAt = state.lastEventAt;
    if (state.lastPollAt) report.lastPollAt = state.lastPollAt;
    const fresh = state.lastPollAt !== undefined && now - Date.parse(state.lastPollAt) < STALE_AFTER_MS;
    report.checks.eventChannel = fresh
      ? { ok: true }
      : {
          ok: false,
          detail: state.lastPollAt ? 'no event poll completed in the last 10 minutes' : 'never polled yet',
        };
    const expiresOn = rt.ucwa.tokenExpiresOn();
    if (expiresOn !== undefined) report.tokenExpiresOn = new Date(expiresOn).toISOString();
  } catch (error) {
    report.checks.runtime = {
      ok: false,
      detail: error instanceof SettingsError ? error.message : errorName(error),
    };
  }
  if (board.status(now).status === 'degraded')
    report.checks.jobs = { ok: false, detail: 'the last run of a timer job failed' };
  report.status = Object.values(report.checks).every((check) => check.ok) ? 'ok' : 'degraded';
  return report;
}
