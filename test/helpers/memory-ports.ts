import type { Notice } from '../../shared/chat/notice.js';
import type {
  AuditSink,
  ClaimFields,
  ClaimOpening,
  ClaimRecord,
  ClaimStore,
  NoticeQueue,
  OpenedClaim,
} from '../../shared/gatekeeper/ports.js';
import type { AuditEntry } from '../../shared/store/audit-log.js';

/** The claim store in memory, with the Tables store's semantics (ETags change on every write). */
export class MemoryClaimStore implements ClaimStore {
  readonly rows = new Map<string, ClaimRecord>();
  private version = 0;
  /** Fail the next writes (by operation) with this error, for fault tests. */
  readonly failNext: {
    op: 'open' | 'write' | 'read';
    error: Error;
    when?: (changes?: Partial<ClaimFields>) => boolean;
  }[] = [];

  private maybeFail(op: 'open' | 'write' | 'read', changes?: Partial<ClaimFields>): void {
    const index = this.failNext.findIndex((f) => f.op === op && (f.when?.(changes) ?? true));
    if (index < 0) return;
    const [fault] = this.failNext.splice(index, 1);
    if (fault) throw fault.error;
  }

  async open(key: string, fresh: ClaimFields): Promise<OpenedClaim> {
    this.maybeFail('open');
    const existing = this.rows.get(key);
    if (existing) return { created: false, record: { ...existing } };
    const record = { key, ...fresh, etag: this.etag() };
    this.rows.set(key, record);
    return { created: true, record: { ...record } };
  }

  /** The keys of each `openMany` call, in order: which claims were opened together. */
  readonly openedTogether: string[][] = [];

  async openMany(openings: readonly ClaimOpening[]): Promise<PromiseSettledResult<OpenedClaim>[]> {
    this.openedTogether.push(openings.map(({ key }) => key));
    return Promise.allSettled(openings.map(({ key, fresh }) => this.open(key, fresh)));
  }

  async read(key: string): Promise<ClaimRecord | undefined> {
    this.maybeFail('read');
    const row = this.rows.get(key);
    return row && { ...row };
  }

  async write(record: ClaimRecord, changes: Partial<ClaimFields>): Promise<ClaimRecord | undefined> {
    this.maybeFail('write', changes);
    const current = this.rows.get(record.key);
    if (!current || current.etag !== record.etag) return undefined;
    const next = { ...current, ...changes, etag: this.etag() };
    this.rows.set(record.key, next);
    return { ...next };
  }

  async unfinished(before: Date, limit: number): Promise<ClaimRecord[]> {
    return [...this.rows.values()]
      .filter((row) => row.state !== 'done' && Date.parse(row.touchedAt) < before.getTime())
      .sort((a, b) => a.touchedAt.localeCompare(b.touchedAt))
      .slice(0, limit)
      .map((row) => ({ ...row }));
  }

  async begunInMeeting(conversationHref: string, since: string): Promise<ClaimRecord[]> {
    const prefix = `${conversationHref}/`;
    return [...this.rows.values()]
      .filter((row) => row.key.slice(row.key.indexOf('|') + 1).startsWith(prefix) && row.effectAt >= since)
      .map((row) => ({ ...row }));
  }

  private etag(): string {
    this.version += 1;
    return `W/"${this.version}"`;
  }
}

/** Audit rows keyed as the table keys them: one per effect key and effect time. */
export class MemoryAudit implements AuditSink {
  readonly rows = new Map<string, AuditEntry>();
  readonly failNext: Error[] = [];
  async record(entry: AuditEntry): Promise<void> {
    const fault = this.failNext.shift();
    if (fault) throw fault;
    this.rows.set(`${entry.at.toISOString()}|${entry.key}`, entry);
  }
}

/** The outbox's enqueue: idempotent by notice id. */
export class MemoryOutbox implements NoticeQueue {
  readonly notices = new Map<string, Notice>();
  readonly failNext: Error[] = [];
  async enqueue(notice: Notice): Promise<void> {
    const fault = this.failNext.shift();
    if (fault) throw fault;
    if (!this.notices.has(notice.id)) this.notices.set(notice.id, notice);
  }
}
