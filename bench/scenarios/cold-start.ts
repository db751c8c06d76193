/**
 * Scenario 4, cold start: fresh processes running cold-start-child (see there for the exact start and stop
 * points), without and with telemetry, alternating, after one uncounted warm-up each (so the OS file cache is
 * the same for every counted run). The health check's dependencies are real and local: Azurite, and a
 * simulator without injected latency — this figure is about the machine, not the network.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startUcwaSimulator } from '../../dev/ucwa-sim/index.js';
import type { ColdStartSample } from '../cold-start-child.js';
import { type CpuProfile, type Share, sharesOf } from '../cpu-profile.js';
import type { BenchConfig } from '../setup.js';
import { median, round } from '../stats.js';

export interface ColdStartRun {
  telemetry: boolean;
  runs: number;
  /** Medians over the runs, in milliseconds. */
  importMs: number;
  listeningMs: number;
  firstResponseMs: number;
  sinceProcessStartMs: number;
  minFirstResponseMs: number;
  maxFirstResponseMs: number;
  /** The first response split (medians; see cold-start-child): import → listening → request → runtime built
   * (its storage requests) → discovery probed → answer read. */
  requestMs?: number;
  runtimeBuildMs?: number;
  buildStorageRequests?: number;
  buildStorageMs?: number;
  probeMs?: number;
  afterProbeMs?: number;
  samples: ColdStartSample[];
  /** One more cold start under the CPU profiler: CPU ms by package in the import and in the first request. */
  profile?: { importMs: number; requestMs: number; import: Share[]; request: Share[] };
  problems: string[];
}

/** A dummy Application Insights resource on loopback port 9 (discard): nothing listens, nothing is sent. */
export const DUMMY_APPINSIGHTS =
  'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/';

const STUB = fileURLToPath(new URL('../../test/helpers/functions-core-stub.cjs', import.meta.url));

function runChild(
  program: string,
  distDir: string,
  env: Record<string, string>,
  nodeOptions: readonly string[] = [],
): Promise<ColdStartSample> {
  return new Promise((resolve, reject) => {
    const args = [...nodeOptions, '--require', STUB, program, pathToFileURL(`${distDir}/`).href];
    const child = spawn(process.execPath, args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((text) => text.startsWith('COLD_START '));
      if (code !== 0 || !line) reject(new Error(`cold start child exited ${code}: ${err.slice(-1000)}`));
      else resolve(JSON.parse(line.slice('COLD_START '.length)) as ColdStartSample);
    });
  });
}

export async function coldStart(
  config: BenchConfig,
  options: { runs: number; programDir: string; distDir: string },
): Promise<ColdStartRun[]> {
  const sim = await startUcwaSimulator();
  try {
    // Valid settings in the default sign-in mode; health never asks for a token, so no sign-in happens.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      UCWA_DISCOVERY_URL: sim.discoveryUrl,
      AzureWebJobsStorage: config.storage,
      AZURE_TENANT_ID: '11111111-1111-1111-1111-111111111111',
      AZURE_CLIENT_ID: '22222222-2222-2222-2222-222222222222',
      AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9',
      UCWA_USERNAME: sim.credentials.username,
      UCWA_PASSWORD: sim.credentials.password,
    };
    const program = `${options.programDir}/cold-start-child.js`;
    const variants = [env, { ...env, APPLICATIONINSIGHTS_CONNECTION_STRING: DUMMY_APPINSIGHTS }];
    const samples: ColdStartSample[][] = [[], []];
    for (let pass = -1; pass < options.runs; pass++) {
      for (const [index, variant] of variants.entries()) {
        const sample = await runChild(program, options.distDir, variant);
        if (pass >= 0) samples[index]?.push(sample);
      }
    }
    const runs = samples.map((runs, index) => summarizeRuns(runs, index === 1));
    for (const [index, variant] of variants.entries()) {
      const run = runs[index];
      if (run) Object.assign(run, await profiled(program, options.distDir, variant));
    }
    return runs;
  } finally {
    await sim.close();
  }
}

/** The top owners of CPU time, the rest summed as "other". */
function top(shares: Share[], count = 8): Share[] {
  const rest = shares.slice(count).reduce((sum, share) => sum + share.ms, 0);
  return [...shares.slice(0, count), ...(rest > 0 ? [{ what: 'other', ms: round(rest) }] : [])];
}

/** One cold start under `--cpu-prof`, its samples by package in the import and in the first request. */
async function profiled(
  program: string,
  distDir: string,
  env: Record<string, string>,
): Promise<{ profile: NonNullable<ColdStartRun['profile']> } | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'ucwa-bench-prof-'));
  try {
    const sample = await runChild(program, distDir, env, [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--cpu-prof-interval=250',
    ]);
    const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
    if (!file || sample.requestMs === undefined) return undefined;
    const cpu = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    const at = (ms: number) => sample.hrT0Us + ms * 1000;
    const [imported, request] = await sharesOf(cpu, [
      { from: at(0), to: at(sample.importMs) },
      { from: at(sample.requestMs), to: at(sample.firstResponseMs) },
    ]);
    return {
      profile: {
        importMs: round(sample.importMs),
        requestMs: round(sample.firstResponseMs - sample.requestMs),
        import: top(imported ?? []),
        request: top(request ?? []),
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function summarizeRuns(samples: ColdStartSample[], telemetry: boolean): ColdStartRun {
  const first = samples.map((s) => s.firstResponseMs);
  const problems = samples.flatMap((s) => [
    ...(s.status === 0 ? ['health did not answer'] : []),
    ...s.blockedConnections.map((host) => `blocked a connection to ${host}`),
  ]);
  const medianOf = (pick: (s: ColdStartSample) => number | undefined) => {
    const values = samples.flatMap((s) => {
      const value = pick(s);
      return value === undefined ? [] : [value];
    });
    return values.length === samples.length && values.length > 0 ? round(median(values)) : undefined;
  };
  const split = {
    requestMs: medianOf((s) => s.requestMs),
    runtimeBuildMs: medianOf((s) => s.runtimeBuildMs),
    buildStorageRequests: medianOf((s) => s.buildStorageRequests),
    buildStorageMs: medianOf((s) => s.buildStorageMs),
    probeMs: medianOf((s) => s.probeMs),
    afterProbeMs: medianOf((s) => s.afterProbeMs),
  };
  return {
    ...Object.fromEntries(Object.entries(split).filter(([, value]) => value !== undefined)),
    telemetry,
    runs: samples.length,
    importMs: round(median(samples.map((s) => s.importMs))),
    listeningMs: round(median(samples.map((s) => s.listeningMs))),
    firstResponseMs: round(median(first)),
    sinceProcessStartMs: round(median(samples.map((s) => s.sinceProcessStartMs))),
    minFirstResponseMs: round(Math.min(...first)),
    maxFirstResponseMs: round(Math.max(...first)),
    samples,
    problems: [...new Set(problems)],
  };
}
