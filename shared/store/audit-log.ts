import { odata, type TableClient } from '@azure/data-tables';
import type { Mode } from '../gatekeeper/outcome.js';
import { ensureTable } from '../lib/ensure-table.js';
import { rowKeyOf } from '../lib/row-key.js';
import { deleteIfUnchanged } from './storage.js';

/** One decision and what came of it. Facts are the participant's reported properties (no phone numbers). */
export interface AuditEntry {
  /** When the effect began (its claim's effect time): stable across retries, so the row is too. */
  at: Date;
  /** The effect key of the action, or of the summary. */
  key: string;
  /** `roster`: someone who joined a meeting the account leads (an `on: "roster"` rule). */
  subject: 'invitation' | 'lobby' | 'roster';
  meeting?: string;
  participant?: string;
  facts: Record<string, unknown>;
  rule: string;
  decision: string;
  mode: Mode;
  outcome: string;
  detail?: string;
  /** The short reference the chat notice shows (`Ref …`): search the table by it (`ref eq '…'`). */
  ref?: string;
}

/**
 * The audit table: partition per UTC day of the effect, one row per effect (RowKey = effect time + key
 * hash). Writing the same effect again — a retry after a lost answer, another run finishing it — rewrites
 * that row, so the digest counts each effect once.
 */
export class AuditLog {
  constructor(private readonly table: TableClient) {}

  /** Create the table now (at start) rather than with the first effect's row. */
  async warm(): Promise<void> {
    await ensureTable(this.table);
  }

  async record(entry: AuditEntry): Promise<void> {
    await ensureTable(this.table);
    const iso = entry.at.toISOString();
    await this.table.upsertEntity(
      {
        partitionKey: iso.slice(0, 10),
        rowKey: `${iso}_${rowKeyOf(entry.key).slice(0, 16)}`,
        time: iso,
        key: entry.key,
        subject: entry.subject,
        meeting: entry.meeting ?? '',
        participant: entry.participant ?? '',
        facts: JSON.stringify(entry.facts),
        rule: entry.rule,
        decision: entry.decision,
        mode: entry.mode,
        outcome: entry.outcome,
        detail: entry.detail ?? '',
        ref: entry.ref ?? '',
      },
      'Replace',
    );
  }

  /** Deletes the rows of every UTC day before `before`'s day (retention); returns how many. */
  async purge(before: Date): Promise<number> {
    await ensureTable(this.table);
    const day = before.toISOString().slice(0, 10);
    let deleted = 0;
    for await (const row of this.table.listEntities({
      queryOptions: { filter: odata`PartitionKey lt ${day}`, select: ['PartitionKey', 'RowKey'] },
    })) {
      if (row.partitionKey === undefined || row.rowKey === undefined) continue;
      if (await deleteIfUnchanged(this.table, row.partitionKey, row.rowKey)) deleted++;
    }
    return deleted;
  }

  /** Entries of one UTC day (`YYYY-MM-DD`), oldest first. */
  day(date: string): Promise<Record<string, unknown>[]> {
    return this.query(odata`PartitionKey eq ${date}`);
  }

  /** The entry a chat notice's `Ref …` names (a scan: for an operator's question, not a hot path). */
  byRef(ref: string): Promise<Record<string, unknown>[]> {
    return this.query(odata`ref eq ${ref}`);
  }

  private async query(filter: string): Promise<Record<string, unknown>[]> {
    await ensureTable(this.table);
    const rows: Record<string, unknown>[] = [];
    for await (const row of this.table.listEntities({ queryOptions: { filter } })) rows.push(row);
    return rows;
  }
}
