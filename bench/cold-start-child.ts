/**
 * One cold start in a fresh process. run.ts transpiles this file and runs it under plain Node (tsx would slow
 * every import two- to threefold) with test/helpers/functions-core-stub.cjs preloaded, standing in for the
 * module the Functions worker injects. Steps, timed from just before the first import:
 *   1. import the deployed entry point, the bundle dist/bundle/main.js (registers every function);
 *   2. start the local host over the function list that bundle exports;
 *   3. GET /api/health/report once (the first request builds the runtime: settings, storage, UCWA discovery,
 *      and Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set; the local host demands no
 *      function key here, and anonymous /api/health answers from memory without building anything).
 * Any connection to a non-loopback address is refused and reported, so nothing leaves the machine.
 * Step 3 is split without a hook in the production code, from Node's diagnostics channels: the request
 * reaching the host (http.server.request.start) → the discovery probe leaving (the first fetch to
 * /autodiscover: the runtime is built by then; its storage requests are node:http's) → the probe answered →
 * the answer read here.
 * Prints one line: COLD_START <json>.
 */
import dc from 'node:diagnostics_channel';
import { request } from 'node:http';
import net from 'node:net';
import type * as LocalHostModule from '../dev/host/local-host.js';
import type * as RegistryModule from '../functions/registry.js';

export interface ColdStartSample {
  /** Process start (performance.timeOrigin) to just before the first import. */
  bootMs: number;
  /** That instant on the monotonic clock a CPU profile's timestamps use (process.hrtime, µs). */
  hrT0Us: number;
  importMs: number;
  /** Import start to the local host listening. */
  listeningMs: number;
  /** Import start to the health answer fully read: the figure the target is about. */
  firstResponseMs: number;
  /** Process start to the health answer. */
  sinceProcessStartMs: number;
  /** Import start to the health request reaching the local host. */
  requestMs?: number;
  /** The request reaching the host → the discovery probe leaving: settings, createRuntime (storage, clients). */
  runtimeBuildMs?: number;
  /** Storage requests made while building the runtime, and their summed HTTP time. */
  buildStorageRequests?: number;
  buildStorageMs?: number;
  /** The discovery probe's fetch, created → answer read. */
  probeMs?: number;
  /** The probe answered → the health answer read here (the report, the host; anything else holding the loop). */
  afterProbeMs?: number;
  status: number;
  functions: number;
  blockedConnections: string[];
}

const blocked: string[] = [];
const isLoopback = (host: string) =>
  host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
const connect = net.Socket.prototype.connect;
// Refuse before any byte goes out (DNS included): the guard sits where http, https, tls and undici connect.
net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
  const [first, second] = args;
  const options =
    typeof first === 'object' && first !== null ? (first as { host?: string; path?: string }) : {};
  const host = options.path
    ? 'localhost'
    : (options.host ?? (typeof second === 'string' ? second : 'localhost'));
  if (!isLoopback(host)) {
    blocked.push(host);
    process.nextTick(() => this.destroy(new Error(`cold-start guard: ${host} is not loopback`)));
    return this;
  }
  return Reflect.apply(connect, this, args) as net.Socket;
} as typeof connect;

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

/** Timestamps (performance.now()) of the health request's steps, from the diagnostics channels. */
const steps: {
  request?: number;
  probe?: number;
  probed?: number;
  storage: { start: number; end?: number }[];
} = { storage: [] };
const probes = new WeakSet<object>();
const storageRequests = new WeakMap<object, { start: number; end?: number }>();
dc.subscribe('http.server.request.start', () => {
  steps.request ??= performance.now();
});
dc.subscribe('undici:request:create', (message) => {
  const { request: sent } = message as { request: { path?: string } };
  if (steps.probe !== undefined || !sent.path?.includes('/autodiscover')) return;
  steps.probe = performance.now();
  probes.add(sent);
});
dc.subscribe('undici:request:trailers', (message) => {
  if (probes.has((message as { request: object }).request)) steps.probed ??= performance.now();
});
dc.subscribe('http.client.request.start', (message) => {
  const entry = { start: performance.now() };
  steps.storage.push(entry);
  storageRequests.set((message as { request: object }).request, entry);
});
dc.subscribe('http.client.response.finish', (message) => {
  const entry = storageRequests.get((message as { request: object }).request);
  if (entry) entry.end = performance.now();
});

async function main(): Promise<void> {
  const dist = process.argv[2];
  if (!dist) throw new Error('usage: cold-start-child <file URL of dist/>');
  const t0 = performance.now();
  const hrT0Us = Number(process.hrtime.bigint() / 1000n);
  const { functionDefinitions } = (await import(
    new URL('bundle/main.js', dist).href
  )) as typeof RegistryModule;
  const imported = performance.now();
  const { startLocalHost } = (await import(
    new URL('dev/host/local-host.js', dist).href
  )) as typeof LocalHostModule;
  const host = await startLocalHost({
    definitions: functionDefinitions,
    port: 0,
    timers: false,
    log: () => undefined,
  });
  const listening = performance.now();
  const status = await get(`${host.url}/api/health/report`);
  const answered = performance.now();
  const building =
    steps.request !== undefined && steps.probe !== undefined
      ? steps.storage.filter((r) => r.start >= (steps.request ?? 0) && r.start <= (steps.probe ?? 0))
      : [];
  const sample: ColdStartSample = {
    bootMs: t0,
    hrT0Us,
    importMs: imported - t0,
    listeningMs: listening - t0,
    firstResponseMs: answered - t0,
    sinceProcessStartMs: answered,
    ...(steps.request !== undefined ? { requestMs: steps.request - t0 } : {}),
    ...(steps.request !== undefined && steps.probe !== undefined
      ? {
          runtimeBuildMs: steps.probe - steps.request,
          buildStorageRequests: building.length,
          buildStorageMs: building.reduce((sum, r) => sum + ((r.end ?? r.start) - r.start), 0),
        }
      : {}),
    ...(steps.probe !== undefined && steps.probed !== undefined
      ? { probeMs: steps.probed - steps.probe }
      : {}),
    ...(steps.probed !== undefined ? { afterProbeMs: answered - steps.probed } : {}),
    status,
    functions: functionDefinitions.length,
    blockedConnections: blocked,
  };
  process.stdout.write(`\nCOLD_START ${JSON.stringify(sample)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `cold start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
