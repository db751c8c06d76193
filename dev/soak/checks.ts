/**
 * Invariants 1 and 2: lobby removals (who, how often, how late) and the record of every invitation and
 * removal (one audit row, a notice on every sink, a second notice only after a kill between a delivery and
 * its record). Pure functions of the evidence; `outstanding` says what a settled run would still need.
 */
import type { PendingEventInfo, RecordedAction, RecordedRequest } from '../ucwa-sim/index.js';
import type { Ledger } from './driver.js';
import { duplicateNotices } from './duplicates.js';
import type { AuditRow, ChatMessage, ClaimRow, DeliveredBatch, OutboxRow } from './evidence.js';
import { noticeKey, sec, tokenOf } from './evidence.js';
import { type Mode, TAMPERS } from './plan.js';
import type { Incarnation } from './supervisor.js';

export type InvariantName = 'removal' | 'audit-and-notices' | 'events' | 'pget-gap';

export interface Violation {
  invariant: InvariantName;
  subject: string;
  message: string;
}

export interface Evidence {
  mode: Mode;
  ledger: Ledger;
  incarnations: readonly Incarnation[];
  actions: readonly RecordedAction[];
  pgets: readonly RecordedRequest[];
  batches: readonly DeliveredBatch[];
  /** Events still queued on the server for the current application: never delivered. */
  pending: readonly PendingEventInfo[];
  chat: readonly ChatMessage[];
  audit: readonly AuditRow[];
  /** The claims table, for the trail a removal's violation names. */
  claims: readonly ClaimRow[];
  outbox: readonly OutboxRow[];
  /** The table proxy's log: when each outbox record was written. */
  tableLog: readonly { at: number; method: string; path: string; status: number; fault?: string }[];
  sinks: readonly string[];
  limits: { maxDelayMs: number; maxGapMs: number };
  /** When the evidence was taken. */
  now: number;
}

export interface Window {
  kind: string;
  start: number;
  end: number;
}

const REMOVAL_OUTCOMES = new Set(['done', 'already-left']);

export const removalsOf = (e: Evidence) =>
  e.actions
    .filter((a) => a.kind === 'eject' || a.kind === 'reject')
    .map((a) => ({ ...a, token: tokenOf(String((a.body as { name?: unknown } | undefined)?.name ?? '')) }));

/** The channel lease a killed worker leaves behind (watch-events: 15 s, renewed every 5 s). */
const CHANNEL_LEASE_MS = 15_000;

/** Every disturbance: fault windows, one-shot faults (1 s), and each kill until the next worker was ready. */
export function disturbances(e: Evidence): Window[] {
  const windows: Window[] = e.ledger.faults
    .filter((f) => f.kind !== 'kill')
    .map((f) => ({ kind: f.kind, start: f.at, end: f.end ?? f.at + 1_000 }));
  for (const kill of e.ledger.kills.filter((k) => k.incarnation !== undefined)) {
    const next = e.incarnations.find((i) => i.startedAt >= kill.at);
    const ready = next?.readyAt ?? next?.startedAt ?? e.now;
    // The next worker holds the channel only once the lease the killed one left behind has run out.
    windows.push({
      kind: 'kill',
      start: kill.at,
      end: Math.min(e.now, Math.max(ready, kill.at + CHANNEL_LEASE_MS)),
    });
  }
  return windows;
}

/** How long after the last disturbance that overlapped its wait the guest was removed (or is still waiting). */
function delayAfterFault(knockAt: number, until: number, windows: readonly Window[]): number {
  let since = knockAt;
  for (const w of windows)
    if (w.start <= until && w.end >= knockAt) since = Math.max(since, Math.min(w.end, until));
  return until - since;
}

export function checkRemovals(e: Evidence) {
  const violations: Violation[] = [];
  const removals = removalsOf(e);
  const windows = disturbances(e);
  let maxDelayAfterFault = 0;
  let maxKnockToRemoval = 0;
  let leftBySelf = 0;
  for (const [token, guest] of e.ledger.guests) {
    const mine = removals.filter((r) => r.token === token);
    const subject = `${token} (${guest.item.anonymous ? 'anonymous' : 'named'})`;
    const fail = (message: string) => violations.push({ invariant: 'removal', subject, message });
    // What the gatekeeper recorded about this guest, to tell a late removal's cause from its symptoms.
    const trail = () =>
      `${
        e.audit
          .filter((r) => r.token === token)
          .map(describeRow)
          .join('; ') || 'no audit row'
      }; claims: ${claimTrail(e, token)}`;
    if (guest.leftAt !== undefined) leftBySelf++;
    if (e.mode === 'dry-run' && mine.length > 0) fail(`removed ${mine.length}× in dry-run`);
    if (e.mode === 'dry-run' || !guest.item.anonymous) {
      if (e.mode === 'enforce' && mine.length > 0) fail(`non-anonymous guest removed ${mine.length}×`);
      continue;
    }
    if (mine.length > 1) fail(`removed ${mine.length}× (${mine.map((r) => r.kind).join(', ')})`);
    const first = mine[0];
    if (!first) {
      if (guest.leftAt === undefined) {
        const waited = delayAfterFault(guest.knockAt, e.now, windows);
        fail(
          `never removed (waited ${sec(e.now - guest.knockAt)}, ${sec(waited)} after the last fault; audit: ${trail()})`,
        );
      }
      continue;
    }
    const delay = delayAfterFault(guest.knockAt, first.at, windows);
    maxDelayAfterFault = Math.max(maxDelayAfterFault, delay);
    maxKnockToRemoval = Math.max(maxKnockToRemoval, first.at - guest.knockAt);
    if (delay > e.limits.maxDelayMs) {
      fail(
        `removed ${sec(first.at - guest.knockAt)} after knocking, ${sec(delay)} after the last fault (audit: ${trail()})`,
      );
    }
  }
  return {
    violations,
    metrics: { maxDelayAfterFault, maxKnockToRemoval, leftBySelf, removals: removals.length },
  };
}

/** An event queued this shortly before its application expired had no fair chance of being fetched. */
export const FAIR_FETCH_MS = 5_000;
/**
 * After a kill, the next worker holds the channel once the dead one's blob lease (15 s) ran out. An
 * application the server expires meanwhile takes its unfetched events with it, as a real server does: no
 * client could have read them.
 */
const AFTER_KILL_MS = 20_000;

/**
 * The invitations the gatekeeper must have recorded: every schema-valid IM that reached an application,
 * except those the server lost with an expired application before a healthy channel could have had them
 * (queued, or delivered and not yet acknowledged, at most FAIR_FETCH_MS before the expiry). One that waited
 * longer — the channel was not being read — or that is stuck behind a batch never got past stays a subject.
 */
export function invitationSubjects(e: Evidence) {
  const expiredAt = new Map(
    e.ledger.faults.flatMap((f) => (f.applicationId ? [[f.applicationId, f.at]] : [])),
  );
  const kills = disturbances(e).filter((w) => w.kind === 'kill');
  const subjects: { token: string; path: string; excused?: string; lostAfterMs?: number }[] = [];
  for (const [token, im] of e.ledger.ims) {
    if (!im.delivered || (im.item.tamper && TAMPERS[im.item.tamper].invalid)) continue;
    const app = /\/applications\/(\d+)\//.exec(im.invitationPath)?.[1] ?? '';
    const batch = e.batches.find((b) =>
      b.events.some((ev) => ev.type === 'started' && ev.href.endsWith(im.invitationPath)),
    );
    const expiry = expiredAt.get(app);
    const lostAfterMs =
      expiry !== undefined && !batch?.acknowledged ? expiry - (batch?.at ?? im.at) : undefined;
    const channelDown =
      expiry !== undefined &&
      kills.some((k) => k.start - FAIR_FETCH_MS <= expiry && expiry <= k.end + AFTER_KILL_MS);
    const excused =
      lostAfterMs !== undefined && (lostAfterMs <= FAIR_FETCH_MS || channelDown)
        ? `lost with its application before ${batch ? 'acknowledgement' : 'delivery'}${channelDown ? ' while the worker was down' : ''}`
        : undefined;
    subjects.push({
      token,
      path: im.invitationPath,
      ...(excused && { excused }),
      ...(lostAfterMs !== undefined && { lostAfterMs }),
    });
  }
  return subjects;
}

export function checkRecords(e: Evidence) {
  const violations: Violation[] = [];
  const outstanding: string[] = [];
  const fail = (subject: string, message: string) =>
    violations.push({ invariant: 'audit-and-notices', subject, message });
  const byKey = new Map(e.outbox.map((row) => [noticeKey(row.noticeId), row]));
  // A notice the outbox no longer knows (purged) is still named exactly by its webhook copy.
  for (const m of e.chat) {
    if (!m.noticeId || byKey.has(m.noticeKey)) continue;
    const extra = { ...(m.outcome && { outcome: m.outcome }), ...(m.token && { token: m.token }) };
    byKey.set(m.noticeKey, { noticeId: m.noticeId, kind: m.kind, state: '', sinks: {}, ...extra });
  }
  const needNotices = (subject: string, queued: OutboxRow[], matches: (m: ChatMessage) => boolean) => {
    for (const sink of e.sinks) {
      if (e.chat.some((m) => m.channel === sink && matches(m))) continue;
      // Say where the notice is: never queued, or waiting in the outbox (and until when).
      const row = queued[0];
      const record = row?.sinks[sink];
      const dueIn = (row?.nextAttemptAt ?? e.now) - e.now;
      const item =
        row?.leaseOwner && dueIn > 0
          ? `leased by a drainer for another ${sec(dueIn)}`
          : dueIn > 0
            ? `next attempt in ${sec(dueIn)}`
            : `due for ${sec(-dueIn)}`;
      const where = row
        ? `outbox: ${record?.state ?? 'not attempted'}, ${record?.attempts ?? 0} attempts, ${item}`
        : 'not in the outbox';
      fail(subject, `no ${sink} notice (${where})`);
      outstanding.push(`${subject}: ${sink} notice`);
    }
  };
  let excusedLost = 0;
  for (const subject of invitationSubjects(e)) {
    const rows = e.audit.filter((r) => r.key.startsWith('invitation|') && r.key.includes(`${subject.path}|`));
    if (rows.length === 0 && subject.excused) {
      excusedLost++;
      continue;
    }
    const name = `${subject.token} (invitation)`;
    if (rows.length === 0 && subject.lostAfterMs !== undefined) {
      const im = e.ledger.ims.get(subject.token);
      const until = (im?.at ?? 0) + subject.lostAfterMs;
      const during = new Set(
        disturbances(e)
          .filter((w) => im && w.end - w.start >= 2_000 && w.end >= im.at && w.start <= until)
          .map((w) => w.kind),
      );
      const context = during.size > 0 ? ` (meanwhile: ${[...during].join(', ')})` : '';
      fail(
        name,
        `lost with its application ${sec(subject.lostAfterMs)} after it was queued, unread${context}`,
      );
      continue;
    }
    if (rows.length !== 1) fail(name, `${rows.length} audit rows`);
    if (rows.length === 0) outstanding.push(`${name}: audit row`);
    // A notice's id is its effect key and the effect's time: match whole ids, never references of keys.
    const ofRows = (id: string) => rows.some((r) => id.startsWith(`${r.key}|`));
    const keys = new Set(
      [...byKey.values()].filter((row) => ofRows(row.noticeId)).map((row) => noticeKey(row.noticeId)),
    );
    const queued = e.outbox.filter((row) => ofRows(row.noticeId));
    needNotices(
      name,
      queued,
      (m) => keys.has(m.noticeKey) || (m.kind === 'invitation' && m.token === subject.token),
    );
  }
  const removed = new Set(removalsOf(e).flatMap((r) => (r.token ? [r.token] : [])));
  const wanted = e.mode === 'enforce' ? REMOVAL_OUTCOMES : new Set(['would-do']);
  for (const [token, guest] of e.ledger.guests) {
    const subjectOf =
      e.mode === 'enforce' ? removed.has(token) : guest.item.anonymous && guest.leftAt === undefined;
    if (!subjectOf) continue;
    const name = `${token} (${e.mode === 'enforce' ? 'removal' : 'would-do'})`;
    const rows = e.audit.filter(
      (r) => r.key.startsWith('eject|') && r.token === token && wanted.has(r.outcome),
    );
    if (rows.length !== 1) {
      const all = e.audit.filter((r) => r.key.startsWith('eject|') && r.token === token);
      fail(
        name,
        `${rows.length} audit rows of a removal (${all.map(describeRow).join('; ') || 'none at all'}; claims: ${claimTrail(e, token)})`,
      );
    }
    if (rows.length === 0) outstanding.push(`${name}: audit row`);
    const queued = e.outbox.filter((row) => row.token === token && wanted.has(row.outcome ?? ''));
    needNotices(name, queued, (m) => {
      const notice = byKey.get(m.noticeKey);
      return notice
        ? notice.token === token && wanted.has(notice.outcome ?? '')
        : m.kind === 'eject' && m.token === token;
    });
  }
  const pending = e.outbox.filter((row) => row.state === 'pending');
  if (pending.length > 0) outstanding.push(`${pending.length} notices pending in the outbox`);
  const duplicates = duplicateNotices(e, byKey);
  for (const d of duplicates.unexcused) fail(d.subject, d.message);
  return { violations, outstanding, metrics: { excusedLost, ...duplicates.metrics } };
}

/** A guest's removal claims: where each stands (application, state, outcome, when its request went out). */
function claimTrail(e: Evidence, token: string): string {
  const rows = e.claims.filter((c) => c.token === token && c.key.startsWith('eject|'));
  return (
    rows
      .map((c) => {
        const app = /\/applications\/(\d+)\//.exec(c.key)?.[1] ?? '?';
        const sent = c.sentAt ? ` sent ${c.sentAt.slice(11, 23)}` : '';
        return `app ${app} ${c.state}${c.outcome ? ` ${c.outcome}` : ''} begun ${c.effectAt?.slice(11, 23) ?? '?'}${sent} tries ${c.attempts ?? 0}${c.owner ? ` owner ${c.owner.slice(0, 8)}` : ''}${c.detail ? `: ${c.detail}` : ''}`;
      })
      .join('; ') || 'none'
  );
}

function describeRow(r: AuditRow): string {
  return `${r.outcome} at ${new Date(r.time).toISOString().slice(11, 23)}: ${r.detail ?? ''}`;
}
