/**
 * `npm run soak`: a seeded fault soak over the gatekeeper's real code path. Azurite (behind storage fault
 * proxies), the UCWA simulator and the chat sink run here; the gatekeeper runs in a child process (worker.ts)
 * that is SIGKILLed and restarted on cue. After the fault phase, a quiet period (faults off, worker running)
 * lets it catch up, then the invariants are checked from the simulator's, the sinks' and the tables' records.
 *
 *   --seed N          the schedule of events and faults (default: random, printed)
 *   --minutes M       length of the fault phase (default 0.83: 50 s)
 *   --mode MODE       enforce (default) or dry-run
 *   --quiet-sec S     longest quiet period; it ends early once everything settled (default 60, max 90)
 *   --max-delay-sec S a removal this long after the last disturbance is late (default 30)
 *   --max-gap-sec S   longest gap between P-GETs while chat is down (default 20)
 *   --without LIST    leave these out of the plan (comma-separated): a fault kind (ucwa-status, ucwa-drop,
 *                     ucwa-latency, ucwa-expire, storage-outage, storage-slow, chat-fail, chat-stall,
 *                     chat-down, kill), odd-invalid (schema-breaking odd values), odd (all), leave
 *   --auth A          sim-token (default: a token the simulator issued, as the tests do) or sfb-server (the
 *                     real password grant against the simulator's MsRtcOAuth endpoint)
 *
 * Same seed, same plan (printed digest); how the processes' timing interleaves with it varies between runs.
 * Prints a table, writes soak/results.json and soak/worker-<n>.log; exits 1 on any invariant violation.
 */
import { randomInt } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Analysis, gather, outstanding, results, SINKS } from './analyze.js';
import { drive } from './driver.js';
import { type Infra, startInfra } from './infra.js';
import { type Mode, planDigest, REMOVABLE, type Removable, without } from './plan.js';
import { renderTable, writeResults } from './report.js';
import { buildPlan } from './schedule.js';
import { Supervisor } from './supervisor.js';

const OUT = resolve('soak');
/** What the gatekeeper asks Azure AD for: both Conversations scopes, and User.ReadWrite for keep-alive. */
const TOKEN_SCOPES = ['Conversations.Initiate', 'Conversations.Receive', 'User.ReadWrite'];
const { values: flags } = parseArgs({
  options: {
    seed: { type: 'string' },
    minutes: { type: 'string', default: String(50 / 60) },
    mode: { type: 'string', default: 'enforce' },
    'quiet-sec': { type: 'string', default: '60' },
    'max-delay-sec': { type: 'string', default: '30' },
    'max-gap-sec': { type: 'string', default: '20' },
    auth: { type: 'string', default: 'sim-token' },
    without: { type: 'string', default: '' },
  },
});

function number(name: string, value: string | undefined, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max)
    throw new Error(`--${name} must be in [${min}, ${max}]`);
  return parsed;
}

const seed =
  flags.seed === undefined
    ? randomInt(1, 2 ** 31 - 1)
    : Math.floor(number('seed', flags.seed, 0, 2 ** 32 - 1));
const durationMs = Math.round(number('minutes', flags.minutes, 0.25, 30) * 60_000);
if (flags.mode !== 'enforce' && flags.mode !== 'dry-run')
  throw new Error('--mode must be enforce or dry-run');
const mode: Mode = flags.mode;
if (flags.auth !== 'sim-token' && flags.auth !== 'sfb-server')
  throw new Error('--auth must be sim-token or sfb-server');
const auth = flags.auth;
const removed = (flags.without ?? '').split(',').flatMap((name) => (name.trim() ? [name.trim()] : []));
for (const name of removed) {
  if (!(REMOVABLE as readonly string[]).includes(name))
    throw new Error(`--without: ${name} is not one of ${REMOVABLE.join(', ')}`);
}
const quietMaxMs = number('quiet-sec', flags['quiet-sec'], 5, 90) * 1000;
const limits = {
  maxDelayMs: number('max-delay-sec', flags['max-delay-sec'], 1, 600) * 1000,
  maxGapMs: number('max-gap-sec', flags['max-gap-sec'], 1, 600) * 1000,
};
const log = (message: string) => process.stderr.write(`soak: ${message}\n`);

const abort = new AbortController();
let infra: Infra | undefined;
let workers: Supervisor | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    await workers?.stop().catch(() => undefined);
    await infra?.close().catch(() => undefined);
  })());

async function main(): Promise<number> {
  const began = Date.now();
  const plan = without(buildPlan(seed, durationMs, mode), removed as Removable[]);
  log(
    `seed ${seed} · ${mode} · plan ${planDigest(plan)} · ${plan.traffic.length} events, ${plan.faults.length} faults`,
  );
  await mkdir(OUT, { recursive: true });
  for (const file of await readdir(OUT)) if (/^worker-\d+\.log$/.test(file)) await rm(join(OUT, file));
  infra = await startInfra(plan.meetings);
  const world = infra;
  workers = new Supervisor(
    {
      UCWA_DISCOVERY_URL: world.sim.discoveryUrl,
      AUTH_MODE: 'sfb-server',
      UCWA_USERNAME: world.sim.credentials.username,
      UCWA_PASSWORD: world.sim.credentials.password,
      GATEKEEPER_MODE: mode,
      WATCHED_MEETINGS: plan.meetings.join(','),
      CHAT_TEAMS_WEBHOOK_URL: world.chat.teamsUrl,
      CHAT_SLACK_WEBHOOK_URL: world.chat.slackUrl,
      CHAT_WEBHOOK_URL: world.chat.webhookUrl,
      CHAT_WEBHOOK_SECRET: world.webhookSecret,
      AzureWebJobsStorage: world.proxiedStorage,
      ...(auth === 'sim-token' && { SOAK_UCWA_TOKEN: world.sim.issueToken({ scopes: TOKEN_SCOPES }) }),
      SOAK_WATCH_DEADLINE_MS: '20000',
      SOAK_SWEEP_EVERY_MS: '7000',
      SOAK_PGET_TIMEOUT_SEC: '5',
      SOAK_MAX_MINUTES: String(Math.ceil((durationMs + quietMaxMs) / 60_000) + 2),
    },
    OUT,
  );
  const supervisor = workers;
  log('starting the worker; waiting until it joined the watched meetings');
  supervisor.start();
  const joined = Promise.all(plan.meetings.map((uri) => world.sim.scenario.getMeeting(uri)?.whenJoined()));
  const ready = await Promise.race([joined.then(() => true), delay(45_000).then(() => false)]);
  if (!ready)
    throw new Error('the worker did not join the watched meetings within 45 s (see soak/worker-1.log)');

  log(`fault phase: ${Math.round(durationMs / 1000)} s`);
  const ledger = await drive(plan, world, supervisor, abort.signal);
  if (abort.signal.aborted) return 130;
  const run = { plan, ledger, infra: world, workers: supervisor, limits };

  log(`quiet period: faults off, up to ${quietMaxMs / 1000} s until everything settled`);
  const quietStart = Date.now();
  let analysis: Analysis | undefined;
  let left: string[] = [];
  let settledChecks = 0;
  for (let round = 0; round < 200 && Date.now() - quietStart < quietMaxMs && !abort.signal.aborted; round++) {
    await delay(1_000);
    analysis = await gather(run).catch(() => undefined);
    if (!analysis) continue;
    left = outstanding(analysis);
    settledChecks = left.length === 0 ? settledChecks + 1 : 0;
    if (settledChecks >= 2) break;
  }
  const quietMs = Date.now() - quietStart;
  await supervisor.stop();
  const final = await gather(run);
  const summary = results(plan, final, supervisor, {
    quietMs,
    settled: settledChecks >= 2,
    outstanding: left,
    totalMs: Date.now() - began,
  });
  console.log(renderTable(summary));
  console.log(`\nsinks: ${SINKS.join(', ')} · ${cpus().length} CPUs · logs: soak/worker-<n>.log`);
  await writeResults(join(OUT, 'results.json'), summary);
  console.log('wrote soak/results.json');
  const first = summary.violations[0];
  if (first) {
    console.log(
      `\nFAILED · seed ${seed} · first violation: [${first.invariant}] ${first.subject}: ${first.message}`,
    );
    const options = [
      ...(mode === 'dry-run' ? ['--mode dry-run'] : []),
      ...(removed.length > 0 ? [`--without ${removed.join(',')}`] : []),
      ...(auth !== 'sim-token' ? [`--auth ${auth}`] : []),
      ...(flags.minutes !== String(50 / 60) ? [`--minutes ${flags.minutes}`] : []),
    ];
    console.log(`reproduce: npm run soak -- --seed ${seed}${options.map((o) => ` ${o}`).join('')}`);
    return 1;
  }
  console.log(`\nPASSED · seed ${seed}`);
  return 0;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    abort.abort();
    void cleanup().finally(() => process.exit(130));
  });
}
// Bounded whatever happens: the whole run may take the fault phase, the quiet period and a few minutes.
const watchdog = setTimeout(
  () => {
    log('watchdog: the run took too long; stopping');
    void cleanup().finally(() => process.exit(2));
  },
  durationMs + quietMaxMs + 180_000,
);
watchdog.unref();

main()
  .catch((error: unknown) => {
    console.error(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.error(`soak: seed ${seed}`);
    return 1;
  })
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  });
