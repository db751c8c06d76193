/**
 * Scenario 6's instance: one process holding every account's event channel at once (as one Functions
 * instance does when the queue hands it that many watch messages), loading the gatekeeper from dist/ under
 * plain Node like invitations-child.ts. IPC: child `ready` (modules loaded, heap measured) → parent `hold`
 * → child `holding` → parent `measure` (every channel parked) → child `measuring` → parent `stop` → `result`.
 */
import type * as JobsModule from '../../shared/app/jobs.js';
import type * as RuntimeModule from '../../shared/app/runtime.js';
import type * as ConfigModule from '../../shared/config.js';

export interface AccountsChildOptions {
  discoveryUrl: string;
  /** One per account: its user name, its token (the simulator's), its meeting. */
  accounts: { username: string; token: string; meeting: string }[];
  storage: string;
  namespace: string;
  /** file: URL of dist/, with a trailing slash. */
  distUrl: string;
}

export interface AccountsChildResult {
  /** After a full GC: with the modules loaded and nothing held, and with every channel held. */
  heapBaseBytes: number;
  heapHoldingBytes: number;
  rssBaseBytes: number;
  rssHoldingBytes: number;
  /** CPU while measuring (every channel held, the parent's knocks handled). */
  cpuMs: number;
  measuredMs: number;
  problems: string[];
}

export type AccountsParentMessage = { type: 'hold' } | { type: 'measure' } | { type: 'stop' };
export type AccountsChildMessage =
  | { type: 'ready' }
  | { type: 'holding' }
  | { type: 'measuring' }
  | { type: 'result'; result: AccountsChildResult }
  | { type: 'failed'; error: string };

const send = (message: AccountsChildMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });

const gc = (globalThis as { gc?: () => void }).gc;
const heapAfterGc = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

async function main(): Promise<void> {
  const options = JSON.parse(process.env.BENCH_CHILD ?? '{}') as AccountsChildOptions;
  const dist = (path: string) => new URL(path, options.distUrl).href;
  const { parseSettings } = (await import(dist('shared/config.js'))) as typeof ConfigModule;
  const { createRuntime } = (await import(dist('shared/app/runtime.js'))) as typeof RuntimeModule;
  const { runWatch } = (await import(dist('shared/app/jobs.js'))) as typeof JobsModule;
  const problems: string[] = [];
  const note = (message: string) => problems.push(message);
  const stop = new AbortController();
  const heapBase = heapAfterGc();
  const rssBase = process.memoryUsage.rss();
  let watches: Promise<unknown>[] = [];
  let cpu = process.cpuUsage();
  let measuringSince = 0;
  let heapHolding = 0;
  let rssHolding = 0;
  const scopes = ['Conversations.Initiate', 'Conversations.Receive', 'User.ReadWrite'];
  process.on('message', async (message: AccountsParentMessage) => {
    if (message.type === 'hold') {
      watches = options.accounts.map(async ({ username, token, meeting }, index) => {
        const settings = parseSettings({
          UCWA_DISCOVERY_URL: options.discoveryUrl,
          UCWA_USERNAME: username,
          GATEKEEPER_MODE: 'enforce',
          WATCHED_MEETINGS: meeting,
          AzureWebJobsStorage: options.storage,
        });
        const rt = await createRuntime(settings, {
          account: `a${index}`,
          namespace: options.namespace,
          tokens: { getToken: async () => ({ token, scopes, expiresOn: Date.now() + 3_600_000 }) },
          log: { info: () => undefined, warn: note, error: note },
        });
        return runWatch(rt, Date.now() + 3_600_000, stop.signal);
      });
      for (const watch of watches)
        watch.catch((error: unknown) => {
          if (!stop.signal.aborted) void send({ type: 'failed', error: String(error) });
        });
      await send({ type: 'holding' });
      return;
    }
    if (message.type === 'measure') {
      heapHolding = heapAfterGc();
      rssHolding = process.memoryUsage.rss();
      cpu = process.cpuUsage();
      measuringSince = performance.now();
      await send({ type: 'measuring' });
      return;
    }
    const used = process.cpuUsage(cpu);
    const measuredMs = performance.now() - measuringSince;
    stop.abort();
    await Promise.race([Promise.allSettled(watches), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await send({
      type: 'result',
      result: {
        heapBaseBytes: heapBase,
        heapHoldingBytes: heapHolding,
        rssBaseBytes: rssBase,
        rssHoldingBytes: rssHolding,
        cpuMs: (used.user + used.system) / 1000,
        measuredMs,
        problems: [...new Set(problems)].slice(0, 20),
      },
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
