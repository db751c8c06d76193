/**
 * What every scenario needs: the UCWA simulator, the local chat sink and the real gatekeeper runtime on its own
 * tables, wired the way test/helpers/gatekeeper-world.ts does it, plus waits on the simulator's timestamps.
 */
import { randomUUID } from 'node:crypto';
import dc from 'node:diagnostics_channel';
import { type ChatSinkServer, startChatSink } from '../dev/chat-sink/index.js';
import {
  type Meeting,
  type RecordedAction,
  type RecordedRequest,
  startUcwaSimulator,
  type UcwaSimulator,
} from '../dev/ucwa-sim/index.js';
import { runWatch } from '../shared/app/jobs.js';
import { createRuntime, type Runtime } from '../shared/app/runtime.js';
import { parseSettings } from '../shared/config.js';
import { simTokens } from '../test/helpers/ucwa-sim.js';

export interface BenchConfig {
  /** Injected by the simulator before it handles each request: one round trip. */
  latencyMs: number;
  /** Azurite connection string. */
  storage: string;
  storageTrace: StorageTrace;
}

/** Requests this process made to Azurite: start and end on the simulator's clock. */
export interface StorageTrace {
  requests: { start: number; end?: number }[];
}

/** The simulator's clock: epoch milliseconds with sub-millisecond precision. */
export const now = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const meetingUri = (index: number): string =>
  `sip:organizer@contoso.com;gruu;opaque=app:conf:focus:id:BENCH${index}`;

export const anonymousGuest = (index: number) => ({
  name: `Guest ${index}`,
  anonymous: true,
  sourceNetwork: 'PublicCloud' as const,
});

/** Counted where Node's http client starts and finishes them: the Azure SDK's transport (fetch is not http). */
export function traceStorage(endpoints: readonly string[]): StorageTrace {
  const hosts = new Set(endpoints.map((endpoint) => new URL(endpoint).host));
  const requests: StorageTrace['requests'] = [];
  const open = new WeakMap<object, StorageTrace['requests'][number]>();
  const hostOf = (request: object) =>
    String((request as { getHeader(name: string): unknown }).getHeader('host') ?? '');
  dc.subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: object };
    if (!hosts.has(hostOf(request))) return;
    const entry = { start: now() };
    requests.push(entry);
    open.set(request, entry);
  });
  dc.subscribe('http.client.response.finish', (message) => {
    const entry = open.get((message as { request: object }).request);
    if (entry) entry.end = now();
  });
  return { requests };
}

/** Table names allow letters and digits only; each scenario gets its own. */
export const tableNamespace = (scenario: string): string =>
  `b${scenario.replace(/[^a-z0-9]/gi, '')}${randomUUID().slice(0, 8)}`;

export function isEventsRequest(request: RecordedRequest): boolean {
  return request.method === 'GET' && new URL(request.path, 'http://sim').pathname.endsWith('/events');
}

type Subscribe<T> = (listener: (value: T) => void) => () => void;

export const simRequests =
  (sim: UcwaSimulator, event: 'request' | 'response'): Subscribe<RecordedRequest> =>
  (listener) => {
    sim.on(event, listener);
    return () => sim.off(event, listener);
  };

export const simActions =
  (sim: UcwaSimulator): Subscribe<RecordedAction> =>
  (listener) => {
    sim.on('action', listener);
    return () => sim.off('action', listener);
  };

/** The first value after subscribing that matches, or a rejection naming `what` after `timeoutMs`. */
export function waitFor<T>(
  subscribe: Subscribe<T>,
  predicate: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let unsubscribe = (): void => undefined;
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    unsubscribe = subscribe((value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}

/**
 * Resolves once the newest P-GET has sat out the injected latency and is still unanswered: it is parked, so
 * an event emitted now leaves the simulator at once.
 */
export async function whenParked(sim: UcwaSimulator, latencyMs: number, timeoutMs = 10_000): Promise<void> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const last = sim.requests.findLast(isEventsRequest);
    const parkedAt = last && last.status === 0 ? last.at + latencyMs + 1 : undefined;
    if (parkedAt !== undefined && now() >= parkedAt) return;
    if (now() > deadline) throw new Error('no P-GET was parked in time');
    await sleep(parkedAt === undefined ? 1 : Math.max(1, parkedAt - now()));
  }
}

/** Resolves with `promise`, or rejects after `ms` naming `what`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The simulator releases a parked P-GET from an unref'd setImmediate, which Node runs only when something
 * else wakes the event loop (seen: events held 50–400 ms). A 1 ms interval keeps the loop awake in the
 * process that hosts the simulator, so a release is late by 1 ms at most.
 */
export function keepAwake(): () => void {
  const timer = setInterval(() => undefined, 1);
  return () => clearInterval(timer);
}

/** The naive baseline reads `me` with its own GET, which needs User.ReadWrite besides the gatekeeper's scopes. */
export const naiveToken = (sim: UcwaSimulator): string =>
  sim.issueToken({ scopes: ['Conversations.Initiate', 'Conversations.Receive', 'User.ReadWrite'] });

export function startSim(config: BenchConfig): Promise<UcwaSimulator> {
  return startUcwaSimulator({ latencyMs: config.latencyMs });
}

export interface GatekeeperWorld {
  sim: UcwaSimulator;
  chat: ChatSinkServer;
  rt: Runtime;
  meetings: Meeting[];
  /** Warnings and errors the gatekeeper logged; a clean run has none. */
  problems: string[];
  close(): Promise<void>;
}

/** A run holds the channel at most this long; every scenario aborts it well before. */
const WATCH_LIMIT_MS = 150_000;

/**
 * The real gatekeeper (createRuntime + runWatch, the watchEvents use case) in enforce mode against a fresh
 * simulator with `meetingCount` meetings it leads, posting to the chat sink's Teams endpoint. Resolves once
 * it joined them all and its P-GET is parked.
 */
export async function startGatekeeper(
  config: BenchConfig,
  scenario: string,
  meetingCount: number,
): Promise<GatekeeperWorld> {
  const sim = await startSim(config);
  const chat = await startChatSink();
  const meetings = Array.from({ length: meetingCount }, (_, index) =>
    sim.scenario.meeting({ onlineMeetingUri: meetingUri(index), accountIsLeader: true }),
  );
  const problems: string[] = [];
  const note = (message: string, properties?: Record<string, unknown>) =>
    problems.push(`${message} ${JSON.stringify(properties ?? {})}`);
  const stop = new AbortController();
  let watch: Promise<unknown> = Promise.resolve();
  const close = async () => {
    stop.abort();
    await watch.catch(() => undefined);
    await sim.close();
    await chat.close();
  };
  try {
    const settings = parseSettings({
      UCWA_DISCOVERY_URL: sim.discoveryUrl,
      GATEKEEPER_MODE: 'enforce',
      CHAT_TEAMS_WEBHOOK_URL: chat.teamsUrl,
      AzureWebJobsStorage: config.storage,
      WATCHED_MEETINGS: meetings.map((meeting) => meeting.onlineMeetingUri).join(','),
    });
    const rt = await createRuntime(settings, {
      tokens: simTokens(sim),
      log: { info: () => undefined, warn: note, error: note },
      namespace: tableNamespace(scenario),
    });
    watch = runWatch(rt, Date.now() + WATCH_LIMIT_MS, stop.signal);
    const ended = watch.then(() => {
      throw new Error(`the watch ended before the gatekeeper was ready: ${problems.join('; ')}`);
    });
    const ready = Promise.all([
      sim.scenario.whenAvailable(),
      ...meetings.map((meeting) => meeting.whenJoined()),
    ]);
    await within(Promise.race([ready, ended]), 20_000, 'the gatekeeper joining its meetings');
    await whenParked(sim, config.latencyMs);
    return { sim, chat, rt, meetings, problems, close };
  } catch (error) {
    await close();
    throw error;
  }
}
