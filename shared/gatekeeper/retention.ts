/**
 * Retention: what the gatekeeper keeps about people is deleted once it has served its purpose. Finished
 * outbox notices (sender facts, phone numbers, first messages) and finished claims (their reports) after
 * OUTBOX_RETENTION_DAYS; audit rows after AUDIT_RETENTION_DAYS. Pending work is never purged.
 */

export interface RetentionDeps {
  outbox: { purge(before: Date): Promise<number> };
  claims: { purgeDone(before: Date): Promise<number> };
  audit: { purge(before: Date): Promise<number> };
  outboxDays: number;
  auditDays: number;
}

export interface RetentionResult {
  notices: number;
  claims: number;
  auditRows: number;
}

const DAY_MS = 86_400_000;

export async function purgeExpired(deps: RetentionDeps, now: Date): Promise<RetentionResult> {
  const outboxBefore = new Date(now.getTime() - deps.outboxDays * DAY_MS);
  const auditBefore = new Date(now.getTime() - deps.auditDays * DAY_MS);
  return {
    notices: await deps.outbox.purge(outboxBefore),
    claims: await deps.claims.purgeDone(outboxBefore),
    auditRows: await deps.audit.purge(auditBefore),
  };
}
