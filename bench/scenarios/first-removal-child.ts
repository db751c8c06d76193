/**
 * One fresh start of the gatekeeper for the first-removal scenario (first-removal.ts), in a process of its own.
 * run.ts bundles this file with esbuild the way dev/bundle.ts bundles the deployed entry point (one ESM
 * bundle, lazy imports as chunks), so the code it loads — up front and on first use — is what a deployed
 * instance loads. It builds the runtime from settings the way `npm start` does (password sign-in through
 * MSAL against the local identity provider, Azurite, the chat sink), holds the event channel (runWatch), and
 * records with bench/probe.ts — no hook in the production code — every request, the runtime's calls on the
 * event path, token calls and, through loader hooks (module-hooks.ts), every module loaded after the start.
 * IPC: child `ready` → parent knocks, waits for the removals → parent `stop` → child `result`.
 */
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { runWatch } from '../../shared/app/jobs.js';
import { createRuntime } from '../../shared/app/runtime.js';
import { createTokenSourceFromSettings } from '../../shared/app/token-source-factory.js';
import { parseSettings } from '../../shared/config.js';
import { clock, instrument, markedTokens, type ProbeRecord, startProbe, storageHostsOf } from '../probe.js';

/** Process start → this line: Node's boot and loading the bundle (its static imports). */
const loadedMs = performance.now();

export interface FirstRemovalChildOptions {
  /** The settings, as the Functions host would pass them in the environment. */
  settings: Record<string, string>;
  namespace: string;
  /** file: URL of module-hooks.js. */
  hooksUrl: string;
}

export interface ModuleLoad {
  url: string;
  start: number;
  end: number;
}

export interface FirstRemovalChildResult {
  loadedMs: number;
  /** createRuntime, ms. */
  buildMs: number;
  /** The watch started (epoch ms, this process's clock), for the probe's record. */
  watchStartedAt: number;
  record: ProbeRecord;
  loads: ModuleLoad[];
  problems: string[];
}

export type FirstRemovalParentMessage = { type: 'stop' };
export type FirstRemovalChildMessage =
  | { type: 'ready' }
  | { type: 'result'; result: FirstRemovalChildResult }
  | { type: 'failed'; error: string };

const send = (message: FirstRemovalChildMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });

async function main(): Promise<void> {
  const options = JSON.parse(process.env.BENCH_CHILD ?? '{}') as FirstRemovalChildOptions;
  const loads: ModuleLoad[] = [];
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (load: ModuleLoad) => loads.push(load));
  port1.unref();
  register(options.hooksUrl, { data: { port: port2 }, transferList: [port2] });

  const problems: string[] = [];
  const note = (message: string, properties?: Record<string, unknown>) =>
    problems.push(`${message} ${JSON.stringify(properties ?? {})}`);
  const settings = parseSettings(options.settings);
  const probe = startProbe(storageHostsOf(options.settings.AzureWebJobsStorage ?? ''));
  const tokens = markedTokens(createTokenSourceFromSettings(settings, options.settings), probe);
  const building = performance.now();
  const rt = await createRuntime(settings, {
    tokens,
    namespace: options.namespace,
    log: { info: () => undefined, warn: note, error: note },
  });
  const buildMs = performance.now() - building;
  instrument(rt, probe);
  const stop = new AbortController();
  const watchStartedAt = clock();
  const watch = runWatch(rt, Date.now() + 120_000, stop.signal).catch((error: unknown) => {
    if (!stop.signal.aborted) void send({ type: 'failed', error: String(error) });
  });
  process.on('message', async (message: FirstRemovalParentMessage) => {
    if (message.type !== 'stop') return;
    stop.abort();
    // The watch releases the channel lease as it ends; bounded, so a stuck one cannot hold the bench.
    await Promise.race([watch, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    probe.close();
    const { mark: _mark, close: _close, ...record } = probe;
    await send({
      type: 'result',
      result: { loadedMs, buildMs, watchStartedAt, record, loads, problems },
    });
    process.exit(0);
  });
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
