/**
 * Scenario 6, many accounts: one instance (a child process, accounts-child.ts) holds N accounts' event
 * channels at once against one simulated server with N users, each leading a meeting. Measured once every
 * channel is parked: the heap (after a full GC) and RSS each held channel adds to the loaded modules, the CPU
 * over a window in which guests knock in accounts spread over the N, and each knock's time to its removal
 * (the knock emitted → the reject taking effect in the simulator). This is what sizes an instance: how many
 * accounts one holds within its memory, and whether removals stay fast as it holds more.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Meeting, startUcwaSimulator, type UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { type BenchConfig, isEventsRequest, now, sleep, tableNamespace, within } from '../setup.js';
import { percentile, round } from '../stats.js';
import type {
  AccountsChildMessage,
  AccountsChildOptions,
  AccountsChildResult,
  AccountsParentMessage,
} from './accounts-child.js';

export interface AccountsRun {
  accounts: number;
  /** From `hold` until every channel was parked: applications, availability, meetings joined. */
  setupMs: number;
  heapPerAccountKb: number;
  rssPerAccountKb: number;
  rssHoldingMb: number;
  /** CPU per held channel per minute of the measured window (idle channels and the knocks). */
  cpuMsPerAccountMinute: number;
  knocks: number;
  knockToRemovalMs: { p50: number; p95: number; max: number };
  problems: string[];
}

/** The measured window lasts at least this long, knocks or not. */
const WINDOW_MS = 10_000;
const SCOPES = ['Conversations.Initiate', 'Conversations.Receive', 'User.ReadWrite'];

function messages(child: ChildProcess) {
  const queue: AccountsChildMessage[] = [];
  let waiting: ((message: AccountsChildMessage) => void) | undefined;
  child.on('message', (message: AccountsChildMessage) => {
    const resolve = waiting;
    waiting = undefined;
    if (resolve) resolve(message);
    else queue.push(message);
  });
  return async (type: AccountsChildMessage['type'], timeoutMs: number) => {
    const message =
      queue.shift() ??
      (await within(
        new Promise<AccountsChildMessage>((resolve) => {
          waiting = resolve;
        }),
        timeoutMs,
        `the accounts child to say ${type}`,
      ));
    if (message.type === 'failed') throw new Error(`accounts child failed: ${message.error}`);
    if (message.type !== type) throw new Error(`accounts child said ${message.type}, expected ${type}`);
    return message;
  };
}

/** Every user's newest P-GET sat out the latency and is unanswered: all channels are held. */
function allParked(sim: UcwaSimulator, usernames: readonly string[], latencyMs: number): boolean {
  const newest = new Map<string, { status: number; at: number }>();
  for (const request of sim.requests) {
    if (!isEventsRequest(request)) continue;
    const id = /\/applications\/(\d+)\//.exec(request.path)?.[1];
    if (id) newest.set(id, request);
  }
  return usernames.every((username) => {
    const id = sim.user(username).currentApplicationId();
    const last = id ? newest.get(id) : undefined;
    return last !== undefined && last.status === 0 && now() > last.at + latencyMs;
  });
}

export async function accounts(
  config: BenchConfig,
  options: { accounts: number; knocks: number; programDir: string; distDir: string },
): Promise<AccountsRun> {
  const n = options.accounts;
  const users = Array.from({ length: n }, (_, index) => ({
    uri: `sip:account${index}@contoso.com`,
    name: `Account ${index}`,
  }));
  const [first, ...more] = users;
  if (!first) throw new Error('--accounts: at least one');
  const sim = await startUcwaSimulator({ latencyMs: config.latencyMs, account: first, moreAccounts: more });
  const usernames = users.map((user) => user.uri.replace(/^sip:/, ''));
  const meetings: Meeting[] = usernames.map((username, index) =>
    sim.user(username).scenario.meeting({
      onlineMeetingUri: `sip:account${index}@contoso.com;gruu;opaque=app:conf:focus:id:ACCT${index}`,
      accountIsLeader: true,
    }),
  );
  const childOptions: AccountsChildOptions = {
    discoveryUrl: sim.discoveryUrl,
    accounts: usernames.map((username, index) => ({
      username,
      token: sim.user(username).issueToken({ scopes: SCOPES }),
      meeting: meetings[index]?.onlineMeetingUri ?? '',
    })),
    storage: config.storage,
    namespace: tableNamespace('accounts'),
    distUrl: pathToFileURL(`${options.distDir}/`).href,
  };
  const child = fork(join(options.programDir, 'scenarios', 'accounts-child.js'), [], {
    execArgv: ['--expose-gc'],
    env: { PATH: process.env.PATH ?? '', BENCH_CHILD: JSON.stringify(childOptions) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const tell = (message: AccountsParentMessage) => child.send(message);
  const next = messages(child);
  const setupLimitMs = 60_000 + n * 200;
  try {
    await next('ready', 20_000);
    const holdAt = now();
    tell({ type: 'hold' });
    await next('holding', 20_000);
    await within(
      Promise.all(meetings.map((meeting) => meeting.whenJoined())),
      setupLimitMs,
      `${n} accounts joining their meetings`,
    );
    for (const deadline = now() + setupLimitMs; !allParked(sim, usernames, config.latencyMs); ) {
      if (now() > deadline) throw new Error(`not every one of ${n} channels was parked in time`);
      await sleep(20);
    }
    const setupMs = now() - holdAt;
    tell({ type: 'measure' });
    await next('measuring', 30_000);
    const windowStart = now();
    const latencies: number[] = [];
    const knocks = Math.min(options.knocks, n);
    for (let k = 0; k < knocks; k++) {
      const index = Math.floor((k * n) / knocks);
      const uri = `sip:guest${k}@public.example`;
      const removed = new Promise<number>((resolve) => {
        const listener = (action: { kind: string; participantUri?: string; at: number }) => {
          if (action.kind !== 'reject' || action.participantUri !== uri) return;
          sim.off('action', listener as never);
          resolve(action.at);
        };
        sim.on('action', listener as never);
      });
      const knockAt = now();
      meetings[index]?.knock({ name: `Guest ${k}`, anonymous: true, sourceNetwork: 'PublicCloud', uri });
      latencies.push((await within(removed, 30_000, `guest ${k} removed`)) - knockAt);
    }
    await sleep(Math.max(0, WINDOW_MS - (now() - windowStart)));
    tell({ type: 'stop' });
    const { result } = (await next('result', 30_000)) as { result: AccountsChildResult };
    latencies.sort((a, b) => a - b);
    return {
      accounts: n,
      setupMs: round(setupMs, 0),
      heapPerAccountKb: round((result.heapHoldingBytes - result.heapBaseBytes) / 1024 / n),
      rssPerAccountKb: round((result.rssHoldingBytes - result.rssBaseBytes) / 1024 / n),
      rssHoldingMb: round(result.rssHoldingBytes / 1024 ** 2),
      cpuMsPerAccountMinute: round((result.cpuMs / n) * (60_000 / result.measuredMs), 2),
      knocks,
      knockToRemovalMs: {
        p50: round(percentile(latencies, 50)),
        p95: round(percentile(latencies, 95)),
        max: round(latencies.at(-1) ?? 0),
      },
      problems: result.problems,
    };
  } finally {
    child.kill();
    await sim.close();
  }
}
