/**
 * One strategy of the invitations scenario in a process of its own, so its CPU time and memory are measured
 * alone (the simulator, the chat sink and Azurite live elsewhere). run.ts transpiles this file and starts it
 * under plain Node — tsx would add 35–65 MB and slow every import — and it loads the gatekeeper from dist/, as
 * deployed. IPC: child `ready` → parent `measure` → child `measuring` → parent `stop` → child `result`.
 */
import dc from 'node:diagnostics_channel';
import type * as JobsModule from '../../shared/app/jobs.js';
import type * as RuntimeModule from '../../shared/app/runtime.js';
import type * as ConfigModule from '../../shared/config.js';
import { NaiveClient } from '../baseline.js';

export interface ChildOptions {
  strategy: 'gatekeeper' | 'baseline';
  discoveryUrl: string;
  token: string;
  storage: string;
  teamsUrl: string;
  namespace: string;
  /** file: URL of dist/, with a trailing slash. */
  distUrl: string;
}

export interface ChildResult {
  cpuUserMs: number;
  cpuSystemMs: number;
  rssStartBytes: number;
  /** Highest RSS sampled every 10 ms while measuring. */
  rssPeakBytes: number;
  /** The kernel's peak RSS over the process's life (setup included). */
  maxRssBytes: number;
  /** V8 heap in use after a full GC when measuring began and when it stopped (needs --expose-gc), and the
   * highest heap in use sampled meanwhile: what the invitations left behind, and what they needed at once. */
  heapStartBytes?: number;
  heapEndBytes?: number;
  heapPeakBytes: number;
  /** Requests through node:http while measuring: only the Azure SDK uses it (UCWA and chat use fetch). */
  storageRequests: number;
  /**
   * Each of them answered: [start epoch ms, ms to the answer, kind] — kind is method, table (namespace left
   * out) and whether it is a query —, to see whether storage slows with the count, and which request.
   */
  storageLatencies: [number, number, string][];
  problems: string[];
}

export type ParentMessage = { type: 'measure' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'measuring' }
  | { type: 'result'; result: ChildResult }
  | { type: 'failed'; error: string };

/** Resolves once the message is handed to the IPC channel, so exiting right after loses nothing. */
const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });

async function startStrategy(options: ChildOptions, signal: AbortSignal, problems: string[]) {
  if (options.strategy === 'baseline') {
    const naive = new NaiveClient(options.discoveryUrl, options.token, options.teamsUrl);
    await naive.start();
    return { running: naive.summarizeInvitations(signal), problems: naive.problems };
  }
  const dist = (path: string) => new URL(path, options.distUrl).href;
  const { parseSettings } = (await import(dist('shared/config.js'))) as typeof ConfigModule;
  const { createRuntime } = (await import(dist('shared/app/runtime.js'))) as typeof RuntimeModule;
  const { runWatch } = (await import(dist('shared/app/jobs.js'))) as typeof JobsModule;
  const note = (message: string) => problems.push(message);
  const settings = parseSettings({
    UCWA_DISCOVERY_URL: options.discoveryUrl,
    GATEKEEPER_MODE: 'enforce',
    CHAT_TEAMS_WEBHOOK_URL: options.teamsUrl,
    AzureWebJobsStorage: options.storage,
  });
  const scopes = ['Conversations.Initiate', 'Conversations.Receive', 'User.ReadWrite'];
  const rt = await createRuntime(settings, {
    tokens: { getToken: async () => ({ token: options.token, scopes, expiresOn: Date.now() + 3_600_000 }) },
    log: { info: () => undefined, warn: note, error: note },
    namespace: options.namespace,
  });
  // Held until the parent says stop; a deadline long enough for the --scale run (10,000 at ~50 a second).
  return { running: runWatch(rt, Date.now() + 3_600_000, signal), problems };
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.BENCH_CHILD ?? '{}') as ChildOptions;
  const stop = new AbortController();
  const problems: string[] = [];
  const strategy = await startStrategy(options, stop.signal, problems);
  const failed = strategy.running.then(
    () => undefined,
    (error: unknown) => {
      if (!stop.signal.aborted) void send({ type: 'failed', error: String(error) });
    },
  );
  let httpRequests = 0;
  let measuring = false;
  const started = new WeakMap<object, { at: number; kind: string }>();
  const storageLatencies: [number, number, string][] = [];
  const kindOf = (request: { method?: string; path?: string }) => {
    const [path = '', query = ''] = (request.path ?? '').split('?');
    const table = (path.split('/')[2] ?? '').replace(/\(.*$/, '').replace(options.namespace, '');
    const filtered = /(^|&)\$filter=/.test(query) ? ' query' : path.includes('(') ? ' entity' : '';
    return `${request.method ?? '?'} ${table || path}${filtered}`;
  };
  const epochMs = () => performance.timeOrigin + performance.now();
  dc.subscribe('http.client.request.start', (message) => {
    httpRequests++;
    const { request } = message as { request: { method?: string; path?: string } };
    if (measuring) started.set(request, { at: epochMs(), kind: kindOf(request) });
  });
  dc.subscribe('http.client.response.finish', (message) => {
    const start = started.get((message as { request: object }).request);
    if (start !== undefined)
      storageLatencies.push([Math.round(start.at), Math.round((epochMs() - start.at) * 10) / 10, start.kind]);
  });
  let storageAtStart = 0;
  let cpu = process.cpuUsage();
  let rssStart = 0;
  let rssPeak = 0;
  let heapStart: number | undefined;
  let heapPeak = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const heapAfterGc = () => {
    if (!gc) return undefined;
    gc();
    return process.memoryUsage().heapUsed;
  };
  let sampler: NodeJS.Timeout | undefined;
  process.on('message', async (message: ParentMessage) => {
    if (message.type === 'measure') {
      heapStart = heapAfterGc();
      rssStart = process.memoryUsage.rss();
      rssPeak = rssStart;
      heapPeak = process.memoryUsage().heapUsed;
      sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }, 10);
      storageAtStart = httpRequests;
      measuring = true;
      cpu = process.cpuUsage();
      await send({ type: 'measuring' });
      return;
    }
    const used = process.cpuUsage(cpu);
    const storageRequests = httpRequests - storageAtStart;
    measuring = false;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    const heapEnd = heapAfterGc();
    stop.abort();
    await Promise.race([failed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    await send({
      type: 'result',
      result: {
        cpuUserMs: used.user / 1000,
        cpuSystemMs: used.system / 1000,
        rssStartBytes: rssStart,
        rssPeakBytes: rssPeak,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        ...(heapStart !== undefined ? { heapStartBytes: heapStart } : {}),
        ...(heapEnd !== undefined ? { heapEndBytes: heapEnd } : {}),
        heapPeakBytes: heapPeak,
        storageRequests,
        storageLatencies,
        problems: [...new Set([...problems, ...strategy.problems])],
      },
    });
    process.exit(0);
  });
  // A parent that dies leaves no orphan behind.
  process.on('disconnect', () => process.exit());
  await send({ type: 'ready' });
}

main().catch(async (error: unknown) => {
  await send({
    type: 'failed',
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exit(1);
});
