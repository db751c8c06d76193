/** Gathers the evidence from every source, runs the four checks and assembles the results. */
import { checkEvents, checkGaps } from './channel-checks.js';
import { checkRecords, checkRemovals, type Evidence } from './checks.js';
import type { Ledger } from './driver.js';
import { attributeAll, deliveredBatches, readAudit, readClaims, readOutbox } from './evidence.js';
import type { Infra } from './infra.js';
import { type Plan, planDigest } from './plan.js';
import type { Results } from './report.js';
import type { Supervisor } from './supervisor.js';

export const SINKS = ['teams', 'slack', 'webhook'] as const;

export interface Limits {
  maxDelayMs: number;
  maxGapMs: number;
}

/** What the soak ran, and where its evidence lies. */
export interface SoakRun {
  plan: Plan;
  ledger: Ledger;
  infra: Infra;
  workers: Supervisor;
  limits: Limits;
}

export async function gather({ plan, ledger, infra, workers, limits }: SoakRun) {
  const outbox = await readOutbox(infra.azurite.connectionString);
  const evidence: Evidence = {
    mode: plan.mode,
    ledger,
    incarnations: workers.incarnations,
    actions: [...infra.sim.actions],
    pgets: infra.sim.requests.filter((r) => r.method === 'GET' && !r.batchPart && /\/events\?/.test(r.path)),
    batches: deliveredBatches(infra.sim),
    pending: infra.sim.scenario.pendingEvents(),
    chat: attributeAll(infra.chat.received, outbox),
    audit: await readAudit(infra.azurite.connectionString),
    claims: await readClaims(infra.azurite.connectionString),
    outbox,
    tableLog: infra.tableProxy.log,
    sinks: SINKS,
    limits,
    now: Date.now(),
  };
  const rejected = workers.lines.filter(
    (l) => l.kind === 'log' && l.message === 'Rejected a UCWA event',
  ).length;
  return {
    evidence,
    removals: checkRemovals(evidence),
    records: checkRecords(evidence),
    events: checkEvents(evidence, rejected),
    gaps: checkGaps(evidence),
  };
}

export type Analysis = Awaited<ReturnType<typeof gather>>;

/** What a settled run would still need: removals, audit rows, notices, an empty outbox. */
export function outstanding(a: Analysis): string[] {
  const missingRemovals = a.removals.violations.filter((v) => v.message.startsWith('never removed'));
  return [
    ...missingRemovals.map((v) => `${v.subject}: removal`),
    ...a.records.outstanding,
    ...a.events.outstanding,
  ];
}

export function results(
  plan: Plan,
  a: Analysis,
  workers: Supervisor,
  timing: { quietMs: number; settled: boolean; outstanding: string[]; totalMs: number },
): Results {
  const { evidence: e } = a;
  const faults: Results['faults'] = {};
  for (const f of e.ledger.faults) {
    const entry = faults[f.kind] ?? { count: 0 };
    faults[f.kind] = entry;
    entry.count++;
    if (f.hits) entry.hits = (entry.hits ?? 0) + f.hits();
  }
  const guests = [...e.ledger.guests.values()];
  const ims = [...e.ledger.ims.values()];
  const kills = e.ledger.kills.filter((k) => k.incarnation !== undefined);
  // A kill on cue while no worker was up (or too soon after the last) was planned, not carried out.
  if (faults.kill) faults.kill.hits = kills.length;
  const regained = kills.map((k) => {
    const next = e.pgets.find((r) => r.at > k.at + 50);
    return (next?.at ?? e.now) - k.at;
  });
  const watchRuns = workers.lines.filter((l) => l.kind === 'job' && l.job === 'watch');
  const count = <T>(list: readonly T[], where: (item: T) => boolean) => list.filter(where).length;
  return {
    seed: plan.seed,
    mode: plan.mode,
    planDigest: planDigest(plan),
    faultPhaseMs: e.ledger.endedAt - e.ledger.startedAt,
    quiet: { ms: timing.quietMs, settled: timing.settled, outstanding: timing.outstanding },
    totalMs: timing.totalMs,
    faults,
    events: {
      'IMs sent': ims.length,
      'IMs delivered to an application': count(ims, (i) => i.delivered),
      'IMs with odd embedded values': count(ims, (i) => i.item.tamper !== undefined),
      'anonymous guests knocked': count(guests, (g) => g.item.anonymous),
      'named guests knocked': count(guests, (g) => !g.item.anonymous),
      'knocks with odd embedded values': count(guests, (g) => g.item.tamper !== undefined),
      'guests who left by themselves': a.removals.metrics.leftBySelf,
      'invitation events delivered': a.events.metrics.invitationEvents,
      'lobby events delivered': a.events.metrics.lobbyEvents,
      'events handled (audit row for it)': a.events.metrics.handled,
      'lobby events handled via another href': a.events.metrics.handledUnderAnotherHref,
      'events rejected, expected (odd values)': a.events.metrics.expectedRejections,
      'events rejected, worker log': a.events.metrics.rejectedLogged,
      'events lost with the application': a.events.metrics.excusedLost,
      'events queued, never fetched': a.events.metrics.neverDelivered,
      'batches never acknowledged': a.events.metrics.stuckBatches,
      'invitations lost with the application': a.records.metrics.excusedLost,
    },
    effects: {
      'removals (eject/reject)': a.removals.metrics.removals,
      'audit rows': e.audit.length,
      ...Object.fromEntries(
        SINKS.map((sink) => [
          `${sink} messages`,
          count(e.chat, (m) => m.channel === sink && m.kind !== 'alert'),
        ]),
      ),
      'alert messages': count(e.chat, (m) => m.kind === 'alert'),
      'duplicate notices': a.records.metrics.duplicateNotices,
      'duplicates excused (kill before record)': a.records.metrics.excusedDuplicates,
      'outbox items still pending': count(e.outbox, (row) => row.state === 'pending'),
      'outbox writes seen by the proxy': count(
        e.tableLog,
        (w) => w.method !== 'GET' && /outbox\(/.test(w.path),
      ),
      'max delay after fault (ms)': a.removals.metrics.maxDelayAfterFault,
      'max knock to removal (ms)': a.removals.metrics.maxKnockToRemoval,
    },
    kills: {
      kills: kills.length,
      ...Object.fromEntries(
        ['timer', 'after-knock', 'after-eject', 'after-chat'].map((t) => [
          `  ${t}`,
          count(kills, (k) => k.trigger === t),
        ]),
      ),
      'skipped (too soon / worker down)': e.ledger.kills.length - kills.length,
      'worker incarnations': workers.incarnations.length,
      'exits by itself': count(workers.incarnations, (i) => i.end?.by === 'self'),
      'watch runs': watchRuns.length,
      'watch runs: another consumer': count(watchRuns, (l) => l.outcome === 'another-consumer'),
      'watch runs failed': count(watchRuns, (l) => l.failed === true),
    },
    channel: {
      'P-GETs': a.gaps.metrics.pgets,
      'max gap (ms)': a.gaps.metrics.maxGap,
      'max gap while chat down (ms)': a.gaps.metrics.maxGapChatDown,
      'max gap, chat down, no kill (ms)': a.gaps.metrics.maxGapChatDownNoKill,
      'max gap spanning a kill (ms)': a.gaps.metrics.maxGapAfterKill,
      'kill to next P-GET, max (ms)': regained.length > 0 ? Math.max(...regained) : 'n/a',
      'kill to next P-GET, mean (ms)':
        regained.length > 0 ? Math.round(regained.reduce((s, v) => s + v, 0) / regained.length) : 'n/a',
    },
    violations: [
      ...a.removals.violations,
      ...a.records.violations,
      ...a.events.violations,
      ...a.gaps.violations,
    ],
    longGaps: a.gaps.longGaps,
    details: {
      kills: e.ledger.kills.map((k) => ({ ...k, at: k.at - e.ledger.startedAt })),
      incarnations: workers.incarnations.map((i) => ({ ...i, startedAt: i.startedAt - e.ledger.startedAt })),
      faults: e.ledger.faults.map((f) => ({ kind: f.kind, at: f.at - e.ledger.startedAt, detail: f.detail })),
      regainedAfterKillMs: regained,
    },
  };
}
