/**
 * Scenario 1, event to removal: one anonymous guest knocks at a time, always while the gatekeeper's P-GET is
 * parked, so the knock, the simulator emitting the lobby `added` event and the P-GET response leaving are one
 * instant. Start: that P-GET response leaving the simulator (`completedAt`). Stop: the removal (a lobby
 * reject, or an eject) taking effect in the simulator (the action's `at`, after the injected latency — the
 * removal POST's own round trip counts). Round trips: the requests the gatekeeper made from start to the
 * POST's arrival, the POST included.
 *
 * Phases (bench/probe.ts, no hook in the production code): the gatekeeper runs in this process, so the
 * simulator's timestamps and the probe's are on one clock. `in`: the answer leaving the simulator → fully
 * read by the gatekeeper; then parse, read, policy, claim (prep, insert, answer), act, the sending write, to
 * POST (see `Phases`); `out`: the removal request created by fetch → arriving at the simulator.
 */
import { NaiveClient } from '../baseline.js';
import {
  instrument,
  isEventsUrl,
  isRemovalUrl,
  type Phases,
  phasesOf,
  startProbe,
  storageHostsOf,
} from '../probe.js';
import {
  anonymousGuest,
  type BenchConfig,
  isEventsRequest,
  meetingUri,
  naiveToken,
  now,
  simActions,
  simRequests,
  sleep,
  startGatekeeper,
  startSim,
  waitFor,
  whenParked,
} from '../setup.js';
import { round, type Summary, summarize } from '../stats.js';

export type PhaseName = keyof Phases | 'in' | 'out';

export interface EjectRun {
  strategy: string;
  events: number;
  ms: Summary;
  /** Every sample in knock order, for a look at warm-up and outliers. */
  samplesMs: number[];
  roundTrips: Summary;
  /** The same latency measured to the removal POST reaching the simulator's socket (before its latency). */
  msToPostArrival: Summary;
  /** Time to the POST's arrival not spent in UCWA round trips: arrival − start − (trips − 1) × latency. */
  overheadMs?: Summary;
  /** That time phase by phase (ms; see Phases in bench/probe.ts), over the samples where every mark was seen. */
  phases?: Partial<Record<PhaseName, Summary>>;
  /** Knock to the P-GET response leaving: ~0 by construction (a check; the baseline has no event). */
  knockToEmitMs?: Summary;
  problems: string[];
}

/** A lobby reject or a meeting eject: both remove the guest. */
export const isRemoval = (kind: string): boolean => kind === 'eject' || kind === 'reject';

/** Summaries of per-sample phases, each phase over the samples that have it. */
export function summarizePhases(
  samples: readonly Partial<Record<PhaseName, number>>[],
): Partial<Record<PhaseName, Summary>> {
  const names = [...new Set(samples.flatMap((sample) => Object.keys(sample)))] as PhaseName[];
  return Object.fromEntries(
    names.map((name) => [
      name,
      summarize(samples.flatMap((sample) => (sample[name] === undefined ? [] : [sample[name]]))),
    ]),
  );
}

export async function eventToEject(
  config: BenchConfig,
  options: { events: number; embedParticipant: boolean },
): Promise<EjectRun> {
  // Before the gatekeeper starts: the P-GET parked for the first knock is already on its way once it is ready.
  const probe = startProbe(storageHostsOf(config.storage));
  const world = await startGatekeeper(
    config,
    options.embedParticipant ? 'ejectembedded' : 'ejectlink',
    1,
  ).catch((error: unknown) => {
    probe.close();
    throw error;
  });
  const { sim } = world;
  const meeting = world.meetings[0];
  if (!meeting) throw new Error('no meeting');
  instrument(world.rt, probe);
  const ms: number[] = [];
  const trips: number[] = [];
  const toArrival: number[] = [];
  const knockToEmit: number[] = [];
  const overhead: number[] = [];
  const phases: Partial<Record<PhaseName, number>>[] = [];
  try {
    for (let index = 0; index < options.events; index++) {
      await whenParked(sim, config.latencyMs);
      const knockAt = now();
      const emitted = waitFor(
        simRequests(sim, 'response'),
        (response) => isEventsRequest(response) && response.status === 200,
        5_000,
        'the lobby event',
      );
      let participantHref = '';
      const removed = waitFor(
        simActions(sim),
        (action) =>
          isRemoval(action.kind) && participantHref !== '' && action.href.startsWith(participantHref),
        5_000,
        'the removal',
      );
      const guest = meeting.knock(anonymousGuest(index), { embedParticipant: options.embedParticipant });
      participantHref = guest.participantHref;
      const [response, action] = await Promise.all([emitted, removed]);
      const start = response.completedAt ?? response.at;
      const post = sim.requests.findLast(
        (request) => request.method === 'POST' && request.path === action.href,
      );
      const arrival = post?.at ?? action.at;
      ms.push(action.at - start);
      toArrival.push(arrival - start);
      const roundTrips = sim.requests.filter((r) => !r.batchPart && r.at >= start && r.at <= arrival).length;
      trips.push(roundTrips);
      overhead.push(arrival - start - (roundTrips - 1) * config.latencyMs);
      knockToEmit.push(start - knockAt);
      const received = probe.fetches.find((span) => isEventsUrl(span.url) && (span.end ?? 0) >= start)?.end;
      const sent = probe.fetches.find(
        (span) => span.method === 'POST' && isRemovalUrl(span.url) && span.start >= (received ?? start),
      );
      const sample = received !== undefined && sent ? phasesOf(probe, received, sent.start) : undefined;
      if (received !== undefined && sent && sample)
        phases.push({ in: received - start, ...sample, out: arrival - sent.start });
    }
    return {
      strategy: options.embedParticipant
        ? 'gatekeeper, embedded participant'
        : 'gatekeeper, participant link',
      events: options.events,
      ms: summarize(ms),
      samplesMs: ms.map((value) => round(value)),
      roundTrips: summarize(trips),
      msToPostArrival: summarize(toArrival),
      overheadMs: summarize(overhead),
      phases: summarizePhases(phases),
      knockToEmitMs: summarize(knockToEmit),
      problems: [
        ...world.problems,
        ...(phases.length < ms.length
          ? [`phases seen in ${phases.length} of ${ms.length} samples (a probe mark was missing)`]
          : []),
      ],
    };
  } finally {
    probe.close();
    await world.close();
  }
}

/**
 * The naive baseline polls every lobby every `intervalMs`; there is no event, so start is the knock itself.
 * Knocks are spread evenly over the poll cycle (stratified phases, one meeting per slot), `perCycle` per cycle,
 * so the figure shows the polling wait rather than a queue of guests.
 */
export async function eventToEjectBaseline(
  config: BenchConfig,
  options: { events: number; perCycle: number; intervalMs: number },
): Promise<EjectRun> {
  const sim = await startSim(config);
  const meetings = Array.from({ length: options.perCycle }, (_, index) =>
    sim.scenario.meeting({ onlineMeetingUri: meetingUri(index), accountIsLeader: true }),
  );
  const naive = new NaiveClient(sim.discoveryUrl, naiveToken(sim));
  const stop = new AbortController();
  let polling: Promise<void> = Promise.resolve();
  try {
    await naive.start(meetings.map((meeting) => meeting.onlineMeetingUri));
    const cycleStart = now();
    polling = naive.pollLobbies(options.intervalMs, stop.signal);
    const samples = await Promise.all(
      Array.from({ length: options.events }, async (_, index) => {
        const cycle = Math.floor(index / options.perCycle);
        const slot = index % options.perCycle;
        const phase = ((slot + 0.5) / options.perCycle) * options.intervalMs;
        await sleep(cycleStart + cycle * options.intervalMs + phase - now());
        const meeting = meetings[(slot + cycle) % meetings.length];
        if (!meeting) throw new Error('no meeting');
        const knockAt = now();
        const guest = meeting.knock(anonymousGuest(index));
        const href = guest.participantHref;
        const action = await waitFor(
          simActions(sim),
          (a) => isRemoval(a.kind) && a.href.startsWith(href),
          options.intervalMs * 3,
          'the baseline removal',
        );
        const post = sim.requests.findLast((r) => r.method === 'POST' && r.path === action.href);
        const arrival = post?.at ?? action.at;
        return {
          ms: action.at - knockAt,
          toArrival: arrival - knockAt,
          trips: sim.requests.filter((r) => r.at >= knockAt && r.at <= arrival).length,
        };
      }),
    );
    return {
      strategy: `baseline (lobby polled every ${options.intervalMs / 1000} s)`,
      events: options.events,
      ms: summarize(samples.map((s) => s.ms)),
      samplesMs: samples.map((s) => round(s.ms)),
      roundTrips: summarize(samples.map((s) => s.trips)),
      msToPostArrival: summarize(samples.map((s) => s.toArrival)),
      problems: naive.problems,
    };
  } finally {
    stop.abort();
    await polling.catch(() => undefined);
    await sim.close();
  }
}
