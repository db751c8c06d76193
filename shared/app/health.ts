import { parseSettings, SettingsError } from '../config.js';
import { errorName } from '../lib/describe-error.js';
import { type Account, type AccountProblem, DEFAULT_ACCOUNT } from './accounts.js';
import type { Runtime } from './runtime.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, { ok: boolean; detail?: string }>;
  lastEventAt?: string;
  lastPollAt?: string;
  tokenExpiresOn?: string;
  /** The last run of each timer job in this process (`<job> [<account>]` for a named account). */
  jobs?: Record<string, { ok: boolean; at: string }>;
  /** A deployment with named accounts: each one's report (one left out: its settings check). */
  accounts?: Record<string, HealthReport>;
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

  record(job: string, ok: boolean, at = Date.now(), account = DEFAULT_ACCOUNT): void {
    this.runs.set(jobKey(job, account), { ok, at });
  }

  /**
   * `unknown` until a job ran here (or for half an hour); `degraded` while any job's last run failed. With
   * `account`, that account's jobs only.
   */
  status(now = Date.now(), account?: string): PublicHealth {
    const recent = [...this.runs]
      .filter(([key]) => account === undefined || accountOfKey(key) === account)
      .map(([, run]) => run)
      .filter((run) => now - run.at < RUNS_FORGOTTEN_AFTER_MS);
    if (recent.length === 0) return { status: 'unknown' };
    return { status: recent.every((run) => run.ok) ? 'ok' : 'degraded' };
  }

  snapshot(): Record<string, { ok: boolean; at: string }> {
    return Object.fromEntries(
      [...this.runs].map(([job, run]) => [job, { ok: run.ok, at: new Date(run.at).toISOString() }]),
    );
  }
}

const jobKey = (job: string, account: string) => (account === DEFAULT_ACCOUNT ? job : `${job} [${account}]`);
const accountOfKey = (key: string) => / \[(.+)\]$/.exec(key)?.[1] ?? DEFAULT_ACCOUNT;

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
  if (!settingsReadable(env, report)) return report;
  return runtimeHealth(report, runtime, now, board);
}

/** What the health report needs of the accounts (`AccountRuntimes`). */
export interface HealthRuntimes {
  accounts(): { accounts: Account[]; problems: AccountProblem[] };
  runtimeOf(account: Account): Promise<Runtime>;
}

/**
 * `checkHealth` for a deployment's accounts: one unnamed account is reported as before; named ones each get
 * a report of their own under `accounts` (one left out: why, naming its setting), and the whole is degraded
 * when any is.
 */
export async function checkAccountsHealth(
  env: Record<string, string | undefined>,
  runtimes: HealthRuntimes,
  now = Date.now(),
  board: JobBoard = jobBoard,
): Promise<HealthReport> {
  const report: HealthReport = { status: 'ok', checks: {}, jobs: board.snapshot() };
  if (!settingsReadable(env, report)) return report;
  const { accounts, problems } = runtimes.accounts();
  const [only] = accounts;
  if (only && accounts.length === 1 && only.id === DEFAULT_ACCOUNT)
    return runtimeHealth(report, () => runtimes.runtimeOf(only), now, board);
  const each: Record<string, HealthReport> = {};
  for (const { account, error } of problems)
    each[account] = { status: 'degraded', checks: { settings: { ok: false, detail: error.message } } };
  await Promise.all(
    accounts.map(async (account) => {
      const own: HealthReport = { status: 'ok', checks: { settings: { ok: true } } };
      each[account.id] = await runtimeHealth(own, () => runtimes.runtimeOf(account), now, board, account.id);
    }),
  );
  report.accounts = each;
  report.checks.accounts = Object.values(each).every((one) => one.status === 'ok')
    ? { ok: true }
    : { ok: false, detail: 'an account is degraded or left out' };
  report.status = report.checks.accounts.ok ? 'ok' : 'degraded';
  return report;
}

function settingsReadable(env: Record<string, string | undefined>, report: HealthReport): boolean {
  try {
    parseSettings(env);
    report.checks.settings = { ok: true };
    return true;
  } catch (error) {
    report.checks.settings = {
      ok: false,
      detail: error instanceof SettingsError ? error.message : 'unreadable',
    };
    report.status = 'degraded';
    return false;
  }
}

/** One account's checks: UCWA reachable, the channel's last poll and event, the token, its jobs' last runs. */
async function runtimeHealth(
  report: HealthReport,
  runtime: () => Promise<Runtime>,
  now: number,
  board: JobBoard,
  account?: string,
): Promise<HealthReport> {
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
  if (board.status(now, account).status === 'degraded')
    report.checks.jobs = { ok: false, detail: 'the last run of a timer job failed' };
  report.status = Object.values(report.checks).every((check) => check.ok) ? 'ok' : 'degraded';
  return report;
}
