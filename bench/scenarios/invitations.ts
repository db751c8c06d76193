/**
 * Scenario 3, invitations: incoming IMs (colleague, federated partner, anonymous PublicCloud sender in turn),
 * each to be summarised to the chat sink's Teams endpoint. The strategy runs in a child process
 * (invitations-child.ts) so CPU and memory are its own. Closed loop: at most `window` invitations are
 * waiting for their summary at any time, so the figure is sustained throughput, not the depth of a queue.
 * Start: the first invitation emitted. Stop: the last summary received by the chat sink.
 * Round trips: every real HTTP request to the simulator in that window (P-GETs included) per invitation.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startChatSink } from '../../dev/chat-sink/index.js';
import type { ParticipantSeed } from '../../dev/ucwa-sim/index.js';
import {
  type BenchConfig,
  isEventsRequest,
  naiveToken,
  now,
  sleep,
  startSim,
  tableNamespace,
  whenParked,
  within,
} from '../setup.js';
import { median, round } from '../stats.js';
import type { ChildMessage, ChildOptions, ChildResult, ParentMessage } from './invitations-child.js';

export interface InvitationsRun {
  strategy: string;
  invitations: number;
  window: number;
  wallMs: number;
  perSecond: number;
  cpuMsPerInvitation: number;
  rssStartMb: number;
  rssPeakMb: number;
  maxRssMb: number;
  /** (sampled peak − RSS when measuring began) / invitations. */
  rssGrowthKbPerInvitation: number;
  /** Highest V8 heap in use sampled while measuring. */
  heapPeakMb: number;
  /** V8 heap in use after a full GC, end − start, per invitation: what each invitation leaves behind. */
  heapRetainedKbPerInvitation?: number;
  roundTripsPerInvitation: number;
  pGetsPerInvitation: number;
  storageRequestsPerInvitation: number;
  /**
   * The run cut in tenths by summaries received: the rate in the first and the last tenth, and the median
   * storage request's answer time (ms) in each. A flat cost per invitation keeps them level.
   */
  tenths?: {
    perSecond: [number, number];
    storageMs: [number, number];
    /** Storage requests by kind (method, table, query or entity): per invitation and median ms, first and last tenth; most slowed first. */
    storageKinds: { kind: string; perInvitation: number; ms: [number, number] }[];
  };
  problems: string[];
}

const SENDERS: ParticipantSeed[] = [
  { name: 'Lene Aaling', uri: 'sip:lenea@contoso.com', sourceNetwork: 'SameEnterprise' },
  { name: 'Jan Novak', uri: 'sip:jan.novak@fabrikam.com', sourceNetwork: 'Federated' },
  {
    name: 'Free Gift Cards',
    uri: 'sip:promo7731@outlook.com',
    anonymous: true,
    sourceNetwork: 'PublicCloud',
  },
];

/** Messages from the child, one at a time, each with a deadline. */
function messages(child: ChildProcess) {
  const queue: ChildMessage[] = [];
  let waiting: ((message: ChildMessage) => void) | undefined;
  child.on('message', (message: ChildMessage) => {
    const resolve = waiting;
    waiting = undefined;
    if (resolve) resolve(message);
    else queue.push(message);
  });
  return async (type: ChildMessage['type'], timeoutMs: number): Promise<ChildMessage> => {
    const message =
      queue.shift() ??
      (await within(
        new Promise<ChildMessage>((resolve) => {
          waiting = resolve;
        }),
        timeoutMs,
        `the invitations child to say ${type}`,
      ));
    if (message.type === 'failed') throw new Error(`invitations child failed: ${message.error}`);
    if (message.type !== type) throw new Error(`invitations child said ${message.type}, expected ${type}`);
    return message;
  };
}

export async function invitations(
  config: BenchConfig,
  options: {
    strategy: 'gatekeeper' | 'baseline';
    count: number;
    window: number;
    /** Where run.ts put the transpiled bench programs. */
    programDir: string;
    distDir: string;
    timeoutMs: number;
  },
): Promise<InvitationsRun> {
  const sim = await startSim(config);
  const chat = await startChatSink();
  const childOptions: ChildOptions = {
    strategy: options.strategy,
    discoveryUrl: sim.discoveryUrl,
    // Both with the scopes the gatekeeper asks for (shared/auth/scopes.ts): without User.ReadWrite UCWA refuses
    // reportMyActivity, and a run longer than the simulator's inactivity limit loses its application.
    token: naiveToken(sim),
    storage: config.storage,
    teamsUrl: chat.teamsUrl,
    namespace: tableNamespace(`inv${options.strategy}`),
    distUrl: pathToFileURL(`${options.distDir}/`).href,
  };
  const child = fork(join(options.programDir, 'scenarios', 'invitations-child.js'), [], {
    // A full GC before and after measuring, for the heap the invitations leave behind (nothing else runs it).
    execArgv: ['--expose-gc'],
    env: { PATH: process.env.PATH ?? '', BENCH_CHILD: JSON.stringify(childOptions) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const tell = (message: ParentMessage) => child.send(message);
  const next = messages(child);
  try {
    await next('ready', 20_000);
    await within(sim.scenario.whenAvailable(), 20_000, 'makeMeAvailable');
    await whenParked(sim, config.latencyMs);
    tell({ type: 'measure' });
    await next('measuring', 5_000);

    // Counted as they arrive: re-filtering every message every 2 ms made the 10,000 run measure this loop.
    let scanned = 0;
    let counted = 0;
    const received = () => {
      for (; scanned < chat.received.length; scanned++)
        if (chat.received[scanned]?.channel === 'teams') counted++;
      return counted;
    };
    const start = now();
    const deadline = start + options.timeoutMs;
    const undelivered: string[] = [];
    let sent = 0;
    while (received() < options.count && now() < deadline) {
      while (sent < options.count && sent - received() < options.window) {
        const from = SENDERS[sent % SENDERS.length] ?? {};
        const handle = sim.scenario.incomingIm(from, `Message ${sent}: are we still on for Thursday?`);
        if (!handle.delivered) undelivered.push(`invitation ${sent} was not delivered`);
        sent++;
      }
      await sleep(2);
    }
    const done = received();
    const last = chat.received.at(-1);
    const stop = last ? Date.parse(last.receivedAt) : now();
    tell({ type: 'stop' });
    const { result } = (await next('result', 10_000)) as { result: ChildResult };

    const window = sim.requests.filter((r) => !r.batchPart && r.at >= start && r.at <= stop);
    const arrivals = chat.received
      .filter((message) => message.channel === 'teams')
      .map((message) => Date.parse(message.receivedAt))
      .sort((a, b) => a - b);
    const tenth = (which: 'first' | 'last') => {
      const size = Math.floor(arrivals.length / 10);
      if (size < 2) return undefined;
      const from =
        which === 'first' ? (arrivals[0] ?? start) : (arrivals[arrivals.length - size - 1] ?? start);
      const to = which === 'first' ? (arrivals[size] ?? stop) : (arrivals.at(-1) ?? stop);
      const inTenth = result.storageLatencies.filter(([at]) => at >= from && at <= to);
      const byKind = new Map<string, number[]>();
      for (const [, ms, kind] of inTenth) byKind.set(kind, [...(byKind.get(kind) ?? []), ms]);
      return {
        perSecond: round((size / Math.max(1, to - from)) * 1000),
        storageMs: round(median(inTenth.map(([, ms]) => ms))),
        kinds: new Map(
          [...byKind].map(([kind, values]) => [kind, { count: values.length / size, ms: median(values) }]),
        ),
      };
    };
    const [firstTenth, lastTenth] = [tenth('first'), tenth('last')];
    const mb = (bytes: number) => round(bytes / 1024 / 1024);
    const timedOut =
      done < options.count ? [`only ${done} of ${options.count} summaries arrived in time`] : [];
    return {
      strategy: options.strategy,
      invitations: done,
      window: options.window,
      wallMs: round(stop - start),
      perSecond: round((done / (stop - start)) * 1000),
      cpuMsPerInvitation: round((result.cpuUserMs + result.cpuSystemMs) / Math.max(1, done), 2),
      rssStartMb: mb(result.rssStartBytes),
      rssPeakMb: mb(result.rssPeakBytes),
      maxRssMb: mb(result.maxRssBytes),
      rssGrowthKbPerInvitation: round(
        (result.rssPeakBytes - result.rssStartBytes) / 1024 / Math.max(1, done),
        2,
      ),
      heapPeakMb: mb(result.heapPeakBytes),
      ...(result.heapStartBytes !== undefined && result.heapEndBytes !== undefined
        ? {
            heapRetainedKbPerInvitation: round(
              (result.heapEndBytes - result.heapStartBytes) / 1024 / Math.max(1, done),
              2,
            ),
          }
        : {}),
      roundTripsPerInvitation: round(window.length / Math.max(1, done), 2),
      pGetsPerInvitation: round(window.filter(isEventsRequest).length / Math.max(1, done), 2),
      storageRequestsPerInvitation: round(result.storageRequests / Math.max(1, done), 2),
      ...(firstTenth && lastTenth
        ? {
            tenths: {
              perSecond: [firstTenth.perSecond, lastTenth.perSecond],
              storageMs: [firstTenth.storageMs, lastTenth.storageMs],
              storageKinds: [...lastTenth.kinds]
                .map(([kind, last]) => ({
                  kind,
                  perInvitation: round(last.count, 2),
                  ms: [round(firstTenth.kinds.get(kind)?.ms ?? Number.NaN), round(last.ms)] as [
                    number,
                    number,
                  ],
                }))
                .sort((a, b) => b.ms[1] - b.ms[0] - (a.ms[1] - a.ms[0])),
            },
          }
        : {}),
      problems: [...timedOut, ...undelivered, ...result.problems],
    };
  } finally {
    child.kill();
    await sim.close();
    await chat.close();
  }
}
