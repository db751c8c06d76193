import type { DigestNotice, DigestSummary } from '../chat/notice.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Mode } from './outcome.js';

/** The counts of a digest notice, without its period. */
export type DigestCounts = Omit<DigestSummary, 'periodStart' | 'periodEnd'>;

/** Count audit rows into a digest. Pure. */
export function countAudit(rows: readonly Record<string, unknown>[]): DigestCounts {
  const counts: DigestCounts = {
    invitations: 0,
    bySourceNetwork: {},
    anonymousKnocks: 0,
    ejections: 0,
    failures: 0,
  };
  for (const row of rows) {
    const facts = safeFacts(row.facts);
    if (row.subject === 'invitation') {
      counts.invitations++;
      const network = typeof facts.sourceNetwork === 'string' ? facts.sourceNetwork : 'Unknown';
      counts.bySourceNetwork[network] = (counts.bySourceNetwork[network] ?? 0) + 1;
    }
    if (row.subject === 'lobby' && facts.anonymous === true && row.decision === 'eject')
      counts.anonymousKnocks++;
    if (row.decision === 'eject' && row.outcome === 'done') counts.ejections++;
    if (row.outcome === 'failed' || row.outcome === 'not-permitted') counts.failures++;
  }
  return counts;
}

export function isQuiet(counts: DigestCounts): boolean {
  return counts.invitations + counts.anonymousKnocks + counts.ejections + counts.failures === 0;
}

/**
 * The digest notice for audit rows in [start, end), or undefined when nothing happened: the digest is quiet
 * when there was no activity. Reads one audit partition per UTC day in the period.
 */
export async function buildDigest(
  audit: AuditLog,
  start: Date,
  end: Date,
  mode: Mode,
): Promise<DigestNotice | undefined> {
  const rows: Record<string, unknown>[] = [];
  for (let day = utcDay(start); day.getTime() < end.getTime(); day = new Date(day.getTime() + 86_400_000)) {
    for (const row of await audit.day(day.toISOString().slice(0, 10))) {
      const time = typeof row.time === 'string' ? Date.parse(row.time) : Number.NaN;
      if (time >= start.getTime() && time < end.getTime()) rows.push(row);
    }
  }
  const counts = countAudit(rows);
  if (isQuiet(counts)) return undefined;
  return {
    id: `digest|${start.toISOString()}|${end.toISOString()}`,
    kind: 'digest',
    at: end.toISOString(),
    mode,
    digest: { periodStart: start.toISOString(), periodEnd: end.toISOString(), ...counts },
  };
}

function utcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

function safeFacts(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
