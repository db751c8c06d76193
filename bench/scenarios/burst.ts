/**
 * Scenario 2, burst: 50 anonymous guests knock in one instant, 5 in each of 10 meetings, each announced by
 * its participant link only (the simulator's default). Start: the knocks (made while the gatekeeper's P-GET
 * is parked). Stop: the last of the 50 ejects taking effect. Requests: every real HTTP request to the
 * simulator in between, the parked P-GET that carried the events included; "eject-side" are those that are
 * not P-GETs (participant reads, eject POSTs, batches).
 */
import type { Meeting, UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { NaiveClient } from '../baseline.js';
import {
  anonymousGuest,
  type BenchConfig,
  isEventsRequest,
  meetingUri,
  naiveToken,
  now,
  simActions,
  sleep,
  startGatekeeper,
  startSim,
  waitFor,
  whenParked,
} from '../setup.js';

export interface BurstRun {
  strategy: string;
  guests: number;
  meetings: number;
  wallMs: number;
  /** Real HTTP requests to the simulator from the first knock to the last eject (batch parts not counted). */
  requests: number;
  ejectSideRequests: number;
  pGets: number;
  /** The eject-side requests by kind: single GETs, single eject/reject POSTs, batch POSTs (and their parts). */
  gets: number;
  removalPosts: number;
  batchPosts: number;
  batchParts: number;
  /** Most eject-side requests in flight at one time (1: strictly one after another). */
  maxInFlight: number;
  /** Requests to Azurite (tables, blobs) in the same window, and most in flight at once. */
  storageRequests: number;
  storageMaxInFlight: number;
  /** From the first of them starting to the last one answered. */
  storageSpanMs: number;
  problems: string[];
}

const GUESTS = 50;
const MEETINGS = 10;

/** The largest number of intervals open at the same instant. */
function maxInFlight(intervals: readonly { start: number; end: number }[]): number {
  const edges = intervals.flatMap(({ start, end }) => [
    { at: start, step: 1 },
    { at: end, step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let open = 0;
  let most = 0;
  for (const { step } of edges) {
    open += step;
    most = Math.max(most, open);
  }
  return most;
}

/** Knock GUESTS guests across the meetings at once; resolves at the last eject with the window's counts. */
async function knockAll(
  sim: UcwaSimulator,
  meetings: readonly Meeting[],
  config: BenchConfig,
  timeoutMs: number,
): Promise<Omit<BurstRun, 'strategy' | 'problems'>> {
  const pending = new Set<string>();
  const done = waitFor(
    simActions(sim),
    (action) => {
      for (const href of pending) if (action.href.startsWith(href)) pending.delete(href);
      return action.kind === 'eject' && pending.size === 0;
    },
    timeoutMs,
    `${GUESTS} ejects`,
  );
  const start = now();
  for (let index = 0; index < GUESTS; index++) {
    const meeting = meetings[index % meetings.length];
    if (meeting) pending.add(meeting.knock(anonymousGuest(index)).participantHref);
  }
  const last = await done;
  // The P-GET parked before the knocks carries their events: it belongs to the burst too.
  const window = sim.requests.filter(
    (r) => (r.at >= start || (r.completedAt ?? 0) >= start) && r.at <= last.at,
  );
  const real = window.filter((r) => !r.batchPart);
  const pGets = real.filter(isEventsRequest).length;
  const ejectSide = real.filter((r) => !isEventsRequest(r));
  const posts = ejectSide.filter((r) => r.method === 'POST');
  const path = (r: { path: string }) => new URL(r.path, 'http://sim').pathname;
  const storage = config.storageTrace.requests.filter((r) => r.start >= start && r.start <= last.at);
  return {
    guests: GUESTS,
    meetings: meetings.length,
    wallMs: last.at - start,
    requests: real.length,
    ejectSideRequests: ejectSide.length,
    pGets,
    gets: ejectSide.filter((r) => r.method === 'GET').length,
    removalPosts: posts.filter((r) => /\/(eject|reject)$/.test(path(r))).length,
    batchPosts: posts.filter((r) => path(r).endsWith('/batch')).length,
    batchParts: window.length - real.length,
    maxInFlight: maxInFlight(ejectSide.map((r) => ({ start: r.at, end: r.completedAt ?? last.at }))),
    storageRequests: storage.length,
    storageMaxInFlight: maxInFlight(storage.map((r) => ({ start: r.start, end: r.end ?? last.at }))),
    storageSpanMs: storage.length
      ? Math.max(...storage.map((r) => r.end ?? last.at)) - Math.min(...storage.map((r) => r.start))
      : 0,
  };
}

export async function burst(config: BenchConfig): Promise<BurstRun> {
  const world = await startGatekeeper(config, 'burst', MEETINGS);
  try {
    await whenParked(world.sim, config.latencyMs);
    const counts = await knockAll(world.sim, world.meetings, config, 60_000);
    return { strategy: 'gatekeeper', ...counts, problems: world.problems };
  } finally {
    await world.close();
  }
}

/**
 * The baseline: the burst lands half a poll interval after a poll began (the mean wait for the next poll),
 * so the figure is its typical case rather than a lucky or unlucky phase.
 */
export async function burstBaseline(config: BenchConfig, options: { intervalMs: number }): Promise<BurstRun> {
  const sim = await startSim(config);
  const meetings = Array.from({ length: MEETINGS }, (_, index) =>
    sim.scenario.meeting({ onlineMeetingUri: meetingUri(index), accountIsLeader: true }),
  );
  const naive = new NaiveClient(sim.discoveryUrl, naiveToken(sim));
  const stop = new AbortController();
  let polling: Promise<void> = Promise.resolve();
  try {
    await naive.start(meetings.map((meeting) => meeting.onlineMeetingUri));
    const cycleStart = now();
    polling = naive.pollLobbies(options.intervalMs, stop.signal);
    await sleep(cycleStart + options.intervalMs / 2 - now());
    const counts = await knockAll(sim, meetings, config, options.intervalMs * 4);
    return {
      strategy: `baseline (lobby polled every ${options.intervalMs / 1000} s)`,
      ...counts,
      problems: naive.problems,
    };
  } finally {
    stop.abort();
    await polling.catch(() => undefined);
    await sim.close();
  }
}
