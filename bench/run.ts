/**
 * `npm run bench`: the gatekeeper's real code path against the UCWA simulator (injected latency per request)
 * and Azurite, next to a naive baseline (bench/baseline.ts) in the same run. Prints a table, writes
 * bench/results.json. Loopback only; every loop is bounded; Azurite and every child stop at the end or on error.
 *
 *   --latency <ms>          per-request UCWA latency (env BENCH_LATENCY_MS; default 20)
 *   --events <n>            event-to-eject samples per variant (default 200)
 *   --invitations <n>       invitations for the gatekeeper (default 1000)
 *   --baseline-invitations <n>  invitations for the baseline (default 200: it needs ~2 round trips each)
 *   --cold-runs <n>         cold starts per variant (default 5, plus one warm-up)
 *   --fresh-runs <n>        fresh starts for the first removal (default 5, plus one warm-up)
 *   --warm <n>              warm removals after each fresh start's first (default 3)
 *   --scale                 also the gatekeeper at --scale-invitations invitations (default 10000; ~4 min)
 *   --accounts <list>       accounts held by one instance, one run each (default 10,100)
 *   --accounts-large        also 500 accounts (~2 min more)
 *   --only <list>           any of eject,burst,invitations,cold,first,accounts (default all)
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import ts from 'typescript';
import { startAzurite } from '../dev/azurite.js';
import { writeCharts } from './charts.js';
import { bundleComposition } from './cpu-profile.js';
import { BATCH_SIZE, phasesTableOf, problemsOf, type Results, tableOf, targetsOf } from './report.js';
import { accounts } from './scenarios/accounts.js';
import { burst, burstBaseline } from './scenarios/burst.js';
import { coldStart } from './scenarios/cold-start.js';
import { eventToEject, eventToEjectBaseline } from './scenarios/event-to-eject.js';
import { firstRemoval } from './scenarios/first-removal.js';
import { invitations } from './scenarios/invitations.js';
import { type BenchConfig, keepAwake, traceStorage } from './setup.js';
import { round, table } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** The lobby poll interval of the naive baseline. */
const POLL_MS = 5_000;

const { values: flags } = parseArgs({
  options: {
    latency: { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '20' },
    events: { type: 'string', default: '200' },
    invitations: { type: 'string', default: '1000' },
    'baseline-invitations': { type: 'string', default: '200' },
    'cold-runs': { type: 'string', default: '5' },
    'fresh-runs': { type: 'string', default: '5' },
    warm: { type: 'string', default: '3' },
    scale: { type: 'boolean', default: false },
    'scale-invitations': { type: 'string', default: '10000' },
    accounts: { type: 'string', default: '10,100' },
    'accounts-large': { type: 'boolean', default: false },
    only: { type: 'string', default: 'eject,burst,invitations,cold,first,accounts' },
  },
});

function count(name: string, value: string | undefined, min: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
  return parsed;
}

const latencyMs = count('latency', flags.latency, 0);
const events = count('events', flags.events, 1);
const invitationCount = count('invitations', flags.invitations, 1);
const baselineInvitations = count('baseline-invitations', flags['baseline-invitations'], 1);
const coldRuns = count('cold-runs', flags['cold-runs'], 1);
const freshRuns = count('fresh-runs', flags['fresh-runs'], 1);
const warmRemovals = count('warm', flags.warm, 1);
const scaleInvitations = flags.scale ? count('scale-invitations', flags['scale-invitations'], 1) : undefined;
const accountCounts = [
  ...(flags.accounts ?? '').split(',').map((value) => count('accounts', value.trim(), 1)),
  ...(flags['accounts-large'] ? [500] : []),
];
const SCENARIOS = ['eject', 'burst', 'invitations', 'cold', 'first', 'accounts'];
const only = new Set((flags.only ?? '').split(',').map((name) => name.trim()));
for (const name of only) {
  if (!SCENARIOS.includes(name)) throw new Error(`--only: ${name} is not one of ${SCENARIOS.join(',')}`);
}

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

/** The commit measured, and whether the product code had uncommitted changes (read-only git). */
function codeVersion(): { commit: string; uncommittedChanges: boolean } {
  const git = (...args: string[]) =>
    spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  return {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    uncommittedChanges: git('status', '--porcelain', '--', 'functions', 'shared', 'dev') !== '',
  };
}

/** Rebuild dist/ (npm run build) when it is missing or older than any source it is built from. */
async function ensureBuild(): Promise<void> {
  const built = await stat(join(DIST, 'bundle', 'main.js')).catch(() => undefined);
  const newest = async (dir: string): Promise<number> => {
    let latest = 0;
    for (const entry of await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      latest = Math.max(latest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
    }
    return latest;
  };
  const sources = Math.max(
    ...(await Promise.all(['functions', 'shared', 'dev'].map(newest))),
    (await stat(join(ROOT, 'tsconfig.build.json'))).mtimeMs,
  );
  if (built && built.mtimeMs >= sources) return;
  log(built ? 'dist/ is older than the sources: npm run build' : 'no dist/: npm run build');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

/**
 * The programs that run in child processes, transpiled to plain JavaScript in a temporary folder (same
 * layout as bench/): under tsx they would measure tsx's import hooks and memory instead of the gatekeeper.
 */
async function transpilePrograms(): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'ucwa-bench-'));
  await writeFile(join(out, 'package.json'), '{"type":"module"}\n');
  for (const file of [
    'cold-start-child.ts',
    'baseline.ts',
    'scenarios/invitations-child.ts',
    'scenarios/accounts-child.ts',
    'module-hooks.ts',
  ]) {
    const source = await readFile(join(ROOT, 'bench', file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    const target = join(out, file.replace(/\.ts$/, '.js'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }
  // The first-removal child is the gatekeeper's code bundled the way dev/bundle.ts bundles the deployed entry
  // point (one ESM bundle, lazy imports as chunks), so it loads what a deployed instance loads.
  await build({
    entryPoints: { 'first-removal-child': join(ROOT, 'bench', 'scenarios', 'first-removal-child.ts') },
    outdir: join(out, 'first-removal'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    external: ['@azure/functions-core'],
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return out;
}

async function main(): Promise<void> {
  const started = Date.now();
  const code = codeVersion();
  await ensureBuild();
  const programs = await transpilePrograms();
  log('starting Azurite');
  const azurite = await startAzurite();
  const stopAwake = keepAwake();
  const cleanup = async () => {
    stopAwake();
    await azurite.stop();
    await rm(programs, { recursive: true, force: true });
  };
  const interrupted = () => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const config: BenchConfig = {
    latencyMs,
    storage: azurite.connectionString,
    storageTrace: traceStorage([azurite.tableEndpoint, azurite.blobEndpoint]),
  };
  const results: Results = {};
  const seconds: Record<string, number> = {};
  /** One scenario: logged, timed. */
  const step = async <T>(name: string, what: string, run: () => Promise<T>): Promise<T> => {
    log(what);
    const begun = Date.now();
    try {
      return await run();
    } finally {
      seconds[name] = round((Date.now() - begun) / 1000);
    }
  };
  try {
    if (only.has('eject')) {
      const perCycle = 10;
      const baselineEvents = 3 * perCycle;
      results.eject = {
        embedded: await step(
          'ejectEmbedded',
          `1 event to eject: ${events} knocks, participant embedded`,
          () => eventToEject(config, { events, embedParticipant: true }),
        ),
        link: await step('ejectLink', `1 event to eject: ${events} knocks, participant link only`, () =>
          eventToEject(config, { events, embedParticipant: false }),
        ),
        baseline: await step('ejectBaseline', `1 event to eject: baseline, ${baselineEvents} knocks`, () =>
          eventToEjectBaseline(config, { events: baselineEvents, perCycle, intervalMs: POLL_MS }),
        ),
      };
    }
    if (only.has('burst')) {
      results.burst = {
        gatekeeper: await step('burst', '2 burst of 50: gatekeeper', () => burst(config)),
        baseline: await step('burstBaseline', '2 burst of 50: baseline', () =>
          burstBaseline(config, { intervalMs: POLL_MS }),
        ),
      };
    }
    if (only.has('invitations')) {
      const common = { window: 10, programDir: programs, distDir: DIST };
      // A deadline that grows with the count (the gatekeeper does ~50 a second here, the baseline ~20).
      const timeoutMs = (n: number) => Math.max(60_000, n * 60);
      results.invitations = {
        gatekeeper: await step('invitations', `3 invitations: gatekeeper, ${invitationCount}`, () =>
          invitations(config, {
            ...common,
            strategy: 'gatekeeper',
            count: invitationCount,
            timeoutMs: timeoutMs(invitationCount),
          }),
        ),
        baseline: await step('invitationsBaseline', `3 invitations: baseline, ${baselineInvitations}`, () =>
          invitations(config, {
            ...common,
            strategy: 'baseline',
            count: baselineInvitations,
            timeoutMs: timeoutMs(baselineInvitations),
          }),
        ),
      };
      if (scaleInvitations) {
        results.invitations.scale = await step(
          'invitationsScale',
          `3 invitations: gatekeeper, ${scaleInvitations} (--scale)`,
          () =>
            invitations(config, {
              ...common,
              strategy: 'gatekeeper',
              count: scaleInvitations,
              timeoutMs: timeoutMs(scaleInvitations),
            }),
        );
      }
    }
    if (only.has('cold')) {
      results.coldStart = await step('coldStart', `4 cold start: ${coldRuns} + 1 processes per variant`, () =>
        coldStart(config, { runs: coldRuns, programDir: programs, distDir: DIST }),
      );
      results.bundle = await bundleComposition(join(DIST, 'bundle', 'main.js'));
    }
    if (only.has('first')) {
      results.firstRemoval = await step(
        'firstRemoval',
        `5 first removal: ${freshRuns} + 1 fresh starts, ${warmRemovals} warm removals each`,
        () => firstRemoval(config, { runs: freshRuns, warm: warmRemovals, programDir: programs }),
      );
    }
    if (only.has('accounts')) {
      results.accounts = [];
      for (const n of accountCounts) {
        results.accounts.push(
          await step(`accounts${n}`, `6 accounts: one instance holding ${n} channels`, () =>
            accounts(config, { accounts: n, knocks: 20, programDir: programs, distDir: DIST }),
          ),
        );
      }
    }
  } finally {
    await cleanup();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }

  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  const targets = targetsOf(results, latencyMs);
  seconds.total = round((Date.now() - started) / 1000);
  const problems = problemsOf(results);

  console.log(
    `\nucwa-gatekeeper benchmarks · UCWA latency ${latencyMs} ms per request (1 RT) · ` +
      `${machine.cpus} CPUs (${machine.cpuModel}) · ${machine.memoryGiB} GiB · Node ${machine.node} · ` +
      `commit ${code.commit}${code.uncommittedChanges ? ' + uncommitted changes' : ''} · ${seconds.total} s\n`,
  );
  console.log(tableOf(results));
  console.log('\nratio = gatekeeper / baseline (baseline / gatekeeper for per second): below 1 is better.');
  const phases = phasesTableOf(results);
  if (phases) console.log(`\n${phases}`);
  console.log(
    `\n${table(
      ['target', 'limit', 'measured', 'met'],
      targets.map((t) => [t.figure, t.target, t.value, t.met === undefined ? '–' : t.met ? 'yes' : 'NO']),
    )}`,
  );
  for (const target of targets.filter((t) => t.why)) console.log(`\n✗ ${target.figure}: ${target.why}`);
  if (results.burst && results.burst.gatekeeper.removalPosts > 0) {
    console.log('\nRemovals went out one POST per guest: the burst needs them batched (UcwaClient.batch).');
  }
  if (problems.length > 0) console.log(`\nProblems:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  const file = join(ROOT, 'bench', 'results.json');
  const parameters = {
    latencyMs,
    events,
    invitations: invitationCount,
    baselineInvitations,
    coldRuns,
    freshRuns,
    warmRemovals,
    ...(scaleInvitations ? { scaleInvitations } : {}),
    accounts: accountCounts,
    pollMs: POLL_MS,
    batchSize: BATCH_SIZE,
  };
  await writeFile(
    file,
    `${JSON.stringify({ generatedAt: new Date().toISOString(), seconds, machine, code, config: parameters, results, targets, problems }, null, 2)}\n`,
  );
  const charts = await writeCharts(results, { latencyMs, commit: code.commit, dir: join(ROOT, 'bench') });
  console.log(`\nwrote ${[file, ...charts].map((path) => relative(process.cwd(), path)).join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
