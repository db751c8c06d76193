/**
 * Scenario 2, burst: 50 anonymous guests knock in one instant, 5 in each of 10 meetings, each announced by
 * its participant link only (the simulator's default). Start: the knocks (made while the gatekeeper's P-GET
 * is parked). Stop: the last of the 50 removals (lobby rejects) taking effect. Requests: every real HTTP request to the
 * simulator in between, the parked P-GET that carried the events included; "eject-side" are those that are
 * not P-GETs (participant reads, eject POSTs, batches).
 */
import type { Meeting, RecordedRequest, UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { NaiveClient } from '../baseline.js';
import { instrument, type MarkName, type Probe, startProbe, storageHostsOf } from '../probe.js';
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
import { isRemoval } from './event-to-eject.js';

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
  /** Keep-alive reports (reportMyActivity) in the window: background, not counted as eject-side. */
  keepAlives: number;
  /** Most eject-side requests in flight at one time (1: strictly one after another). */
  maxInFlight: number;
  /** Requests to Azurite (tables, blobs) in the same window, and most in flight at once. */
  storageRequests: number;
  storageMaxInFlight: number;
  /** From the first of them starting to the last one answered. */
  storageSpanMs: number;
  /** Those storage requests by kind: entity inserts, updates (PUT/MERGE/PATCH), batches ($batch), other. */
  storageKinds: { inserts: number; updates: number; batches: number; other: number };
  /** Each guest's removal taking effect, ms after the knocks, in order (for bench/burst.svg). */
  removalsMs: number[];
  /** The requests in the window, ms after the knocks (for bench/burst.svg). */
  timeline: TimelineSpan[];
  /** The burst step by step, ms after the knocks (from `timeline`; absent when not seen). */
  steps: BurstSteps;
  problems: string[];
}

export interface BurstSteps {
  /** The P-GET carrying the 50 events answered; the events handed to the gatekeeper (parsed). */
  eventsAnswered?: number;
  eventsHanded?: number;
  /** The participants' batched read: sent, answered. */
  readSent?: number;
  readAnswered?: number;
  /** The first and the last claim asked for; the last storage request answered before the removals. */
  firstClaim?: number;
  lastClaim?: number;
  storageDone?: number;
  /** The removals handed to the UCWA client; the removal batch sent; the last removal taking effect. */
  removalsHanded?: number;
  removalSent?: number;
  lastRemoval?: number;
}

export interface TimelineSpan {
  lane:
    | 'P-GET'
    | 'UCWA GET'
    | 'UCWA batch'
    | 'UCWA POST'
    | 'keep-alive'
    | 'storage'
    /** Instants: the gatekeeper handed the events, asked for a claim, for its "sending" write, for removals. */
    | 'events handed'
    | 'claims asked'
    | 'sending writes asked'
    | 'removals asked';
  start: number;
  end: number;
  /** Batch POSTs: the parts they carried. */
  parts?: number;
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
  { sim, meetings }: { sim: UcwaSimulator; meetings: readonly Meeting[] },
  config: BenchConfig,
  {
    timeoutMs,
    probe,
  }: {
    timeoutMs: number;
    /** Storage requests by method and path; with marks when the gatekeeper's runtime is instrumented. */
    probe: Probe;
  },
): Promise<Omit<BurstRun, 'strategy' | 'problems'>> {
  const pending = new Set<string>();
  const removals: number[] = [];
  let start = now();
  const done = waitFor(
    simActions(sim),
    (action) => {
      if (!isRemoval(action.kind)) return false;
      for (const href of pending) {
        if (!action.href.startsWith(href)) continue;
        pending.delete(href);
        removals.push(action.at - start);
      }
      return pending.size === 0;
    },
    timeoutMs,
    `${GUESTS} removals`,
  );
  start = now();
  for (let index = 0; index < GUESTS; index++) {
    const meeting = meetings[index % meetings.length];
    if (meeting) pending.add(meeting.knock(anonymousGuest(index)).participantHref);
  }
  const last = await done;
  const described = probe.storage.filter((r) => r.start >= start && r.start <= last.at);
  const storageKinds = { inserts: 0, updates: 0, batches: 0, other: 0 };
  for (const request of described) {
    const path = new URL(`http://${request.url}`).pathname;
    if (path.endsWith('/$batch')) storageKinds.batches++;
    else if (request.method === 'POST') storageKinds.inserts++;
    else if (['PUT', 'MERGE', 'PATCH'].includes(request.method)) storageKinds.updates++;
    else storageKinds.other++;
  }
  const path = (r: { path: string }) => new URL(r.path, 'http://sim').pathname;
  // The P-GET parked before the knocks carries their events: it belongs to the burst too.
  const window = sim.requests.filter(
    (r) => (r.at >= start || (r.completedAt ?? 0) >= start) && r.at <= last.at,
  );
  const real = window.filter((r) => !r.batchPart);
  const pGets = real.filter(isEventsRequest).length;
  const keepAlive = (r: RecordedRequest) => path(r).endsWith('/reportMyActivity');
  const ejectSide = real.filter((r) => !isEventsRequest(r) && !keepAlive(r));
  const posts = ejectSide.filter((r) => r.method === 'POST');
  const storage = config.storageTrace.requests.filter((r) => r.start >= start && r.start <= last.at);
  const partsOf = (batch: RecordedRequest) =>
    window.filter((r) => r.batchPart && r.at >= batch.at && r.at <= (batch.completedAt ?? last.at)).length;
  const lane = (r: RecordedRequest): TimelineSpan['lane'] =>
    isEventsRequest(r)
      ? 'P-GET'
      : path(r).endsWith('/batch')
        ? 'UCWA batch'
        : r.method === 'GET'
          ? 'UCWA GET'
          : keepAlive(r)
            ? 'keep-alive'
            : 'UCWA POST';
  const timeline: TimelineSpan[] = [
    ...real.map((r) => ({
      lane: lane(r),
      start: r.at - start,
      end: (r.completedAt ?? last.at) - start,
      ...(lane(r) === 'UCWA batch' ? { parts: partsOf(r) } : {}),
    })),
    ...storage.map((r) => ({
      lane: 'storage' as const,
      start: r.start - start,
      end: (r.end ?? last.at) - start,
    })),
    ...probe.marks.flatMap((mark) => {
      const lanes: Partial<Record<MarkName, TimelineSpan['lane']>> = {
        handleEvents: 'events handed',
        claimOpen: 'claims asked',
        claimWrite: 'sending writes asked',
        remove: 'removals asked',
      };
      const instant = lanes[mark.what];
      return instant && mark.at >= start && mark.at <= last.at
        ? [{ lane: instant, start: mark.at - start, end: mark.at - start }]
        : [];
    }),
  ];
  const of = (name: TimelineSpan['lane']) => timeline.filter((span) => span.lane === name);
  const batches = of('UCWA batch').sort((a, b) => a.start - b.start);
  const handed = of('removals asked').at(0)?.start;
  const removalBatch = batches.find((span) => handed !== undefined && span.start >= handed);
  const readBatch = batches.find((span) => span !== removalBatch);
  const claims = of('claims asked').map((span) => span.start);
  const storageEnds = of('storage')
    .map((span) => span.end)
    .filter((end) => handed === undefined || end <= handed);
  // Undefined where the run showed no such step; left out of the result below.
  const steps: Record<keyof BurstSteps, number | undefined> = {
    eventsAnswered: of('P-GET').at(0)?.end,
    eventsHanded: of('events handed').at(0)?.start,
    readSent: readBatch?.start,
    readAnswered: readBatch?.end,
    firstClaim: claims.length ? Math.min(...claims) : undefined,
    lastClaim: claims.length ? Math.max(...claims) : undefined,
    storageDone: storageEnds.length ? Math.max(...storageEnds) : undefined,
    removalsHanded: handed,
    removalSent: removalBatch?.start,
    lastRemoval: last.at - start,
  };
  return {
    steps: Object.fromEntries(
      Object.entries(steps).flatMap(([key, value]) =>
        value === undefined ? [] : [[key, Math.round(value * 10) / 10]],
      ),
    ) as BurstSteps,
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
    keepAlives: real.filter(keepAlive).length,
    maxInFlight: maxInFlight(ejectSide.map((r) => ({ start: r.at, end: r.completedAt ?? last.at }))),
    storageRequests: storage.length,
    storageMaxInFlight: maxInFlight(storage.map((r) => ({ start: r.start, end: r.end ?? last.at }))),
    storageSpanMs: storage.length
      ? Math.max(...storage.map((r) => r.end ?? last.at)) - Math.min(...storage.map((r) => r.start))
      : 0,
    storageKinds,
    removalsMs: removals.map((ms) => Math.round(ms * 10) / 10),
    timeline: timeline.map((span) => ({
      ...span,
      start: Math.round(span.start * 10) / 10,
      end: Math.round(span.end * 10) / 10,
    })),
  };
}

export async function burst(config: BenchConfig): Promise<BurstRun> {
  const world = await startGatekeeper(config, 'burst', MEETINGS);
  const probe = startProbe(storageHostsOf(config.storage));
  try {
    instrument(world.rt, probe);
    await whenParked(world.sim, config.latencyMs);
    const counts = await knockAll(world, config, { timeoutMs: 60_000, probe });
    return { strategy: 'gatekeeper', ...counts, problems: world.problems };
  } finally {
    probe.close();
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
    const probe = startProbe(storageHostsOf(config.storage));
    const counts = await knockAll({ sim, meetings }, config, {
      timeoutMs: options.intervalMs * 4,
      probe,
    }).finally(() => probe.close());
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
