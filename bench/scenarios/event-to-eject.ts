/**
 * Scenario 1, event to eject: one anonymous guest knocks at a time, always while the gatekeeper's P-GET is
 * parked, so the knock, the simulator emitting the lobby `added` event and the P-GET response leaving are one
 * instant. Start: that P-GET response leaving the simulator (`completedAt`). Stop: the eject taking effect in
 * the simulator (the action's `at`, after the injected latency — the eject POST's own round trip counts).
 * Round trips: the requests the gatekeeper made from start to the eject POST's arrival, the POST included.
 */
import { NaiveClient } from '../baseline.js';
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

export interface EjectRun {
  strategy: string;
  events: number;
  ms: Summary;
  /** Every sample in knock order, for a look at warm-up and outliers. */
  samplesMs: number[];
  roundTrips: Summary;
  /** The same latency measured to the eject POST reaching the simulator's socket (before its latency). */
  msToPostArrival: Summary;
  /** Time to the POST's arrival not spent in UCWA round trips: arrival − start − (trips − 1) × latency… */
  overheadMs?: Summary;
  /** …split at the idempotency claim, the one storage request before the POST: */
  breakdown?: {
    /** parsing the events (and the participant), the policy, the Azure SDK preparing the insert; */
    beforeClaimMs: Summary;
    /** the insert's HTTP exchange with Azurite; */
    claimMs: Summary;
    /** the SDK reading the answer, then the eject POST until it reaches the simulator. */
    afterClaimMs: Summary;
  };
  /** Knock to the P-GET response leaving: ~0 by construction (a check; the baseline has no event). */
  knockToEmitMs?: Summary;
  problems: string[];
}

export async function eventToEject(
  config: BenchConfig,
  options: { events: number; embedParticipant: boolean },
): Promise<EjectRun> {
  const world = await startGatekeeper(config, options.embedParticipant ? 'ejectembedded' : 'ejectlink', 1);
  const { sim } = world;
  const meeting = world.meetings[0];
  if (!meeting) throw new Error('no meeting');
  const ms: number[] = [];
  const trips: number[] = [];
  const toArrival: number[] = [];
  const knockToEmit: number[] = [];
  const overhead: number[] = [];
  const beforeClaim: number[] = [];
  const claim: number[] = [];
  const afterClaim: number[] = [];
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
      const ejected = waitFor(
        simActions(sim),
        (action) =>
          action.kind === 'eject' && participantHref !== '' && action.href.startsWith(participantHref),
        5_000,
        'the eject',
      );
      const guest = meeting.knock(anonymousGuest(index), { embedParticipant: options.embedParticipant });
      participantHref = guest.participantHref;
      const [response, action] = await Promise.all([emitted, ejected]);
      const start = response.completedAt ?? response.at;
      const post = sim.requests.findLast(
        (request) => request.method === 'POST' && request.path === action.href,
      );
      const arrival = post?.at ?? action.at;
      ms.push(action.at - start);
      toArrival.push(arrival - start);
      const roundTrips = sim.requests.filter((r) => !r.batchPart && r.at >= start && r.at <= arrival).length;
      trips.push(roundTrips);
      const local = arrival - start - (roundTrips - 1) * config.latencyMs;
      overhead.push(local);
      const insert = config.storageTrace.requests.find((r) => r.start >= start && r.start <= arrival);
      if (insert?.end !== undefined) {
        const before = insert.start - start - (roundTrips - 1) * config.latencyMs;
        beforeClaim.push(before);
        claim.push(insert.end - insert.start);
        afterClaim.push(local - before - (insert.end - insert.start));
      }
      knockToEmit.push(start - knockAt);
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
      breakdown: {
        beforeClaimMs: summarize(beforeClaim),
        claimMs: summarize(claim),
        afterClaimMs: summarize(afterClaim),
      },
      knockToEmitMs: summarize(knockToEmit),
      problems: world.problems,
    };
  } finally {
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
          (a) => a.kind === 'eject' && a.href.startsWith(href),
          options.intervalMs * 3,
          'the baseline eject',
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
