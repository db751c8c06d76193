import { odata, type TableClient } from '@azure/data-tables';
import { storedOutcome } from '../gatekeeper/outcome.js';
import type { ClaimFields, ClaimRecord, ClaimStore } from '../gatekeeper/ports.js';
import { statusOf } from '../lib/azure-status.js';
import { ensureTable } from '../lib/ensure-table.js';
import { rowKeyOf } from '../lib/row-key.js';
import { deleteIfUnchanged } from './storage.js';

/** The stored entity. Rows written before owners existed have `claimedAt` and no `owner`/`touchedAt`. */
interface Entity {
  key: string;
  state: ClaimRecord['state'];
  owner?: string;
  effectAt?: string;
  touchedAt?: string;
  claimedAt?: string;
  attempts?: number;
  outcome?: string;
  detail?: string;
  report?: string;
  doneAt?: string;
  sentAt?: string;
}

/**
 * Claims in Azure Tables: one row per effect key (PartitionKey = the first two hex digits of its hash, so
 * rows spread), every change ETag-conditional, so two runs never both own a claim.
 */
export class TableClaimStore implements ClaimStore {
  constructor(private readonly table: TableClient) {}

  async open(key: string, fresh: ClaimFields): Promise<{ created: boolean; record: ClaimRecord }> {
    await ensureTable(this.table);
    const { partitionKey, rowKey } = keysOf(key);
    try {
      const created = await this.table.createEntity({ partitionKey, rowKey, key, ...clean(fresh) });
      return { created: true, record: { key, ...fresh, etag: created.etag ?? '' } };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
    const existing = await this.table.getEntity<Entity>(partitionKey, rowKey);
    return { created: false, record: toRecord(existing, existing.etag) };
  }

  async read(key: string): Promise<ClaimRecord | undefined> {
    await ensureTable(this.table);
    const { partitionKey, rowKey } = keysOf(key);
    try {
      const entity = await this.table.getEntity<Entity>(partitionKey, rowKey);
      return toRecord(entity, entity.etag);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async write(record: ClaimRecord, changes: Partial<ClaimFields>): Promise<ClaimRecord | undefined> {
    const next: ClaimRecord = { ...record, ...changes };
    const { etag: _etag, key, ...fields } = next;
    try {
      const updated = await this.table.updateEntity({ ...keysOf(key), key, ...clean(fields) }, 'Replace', {
        etag: record.etag,
      });
      return { ...next, etag: updated.etag ?? '' };
    } catch (error) {
      if (statusOf(error) === 412 || statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Deletes finished claims last touched before `before` (retention: a done claim keeps the report, with the
   * sender's facts, and is needed only while a late duplicate may arrive). Unfinished claims are never purged.
   */
  async purgeDone(before: Date): Promise<number> {
    await ensureTable(this.table);
    const cutoff = before.toISOString();
    const filter = odata`state eq 'done' and (touchedAt lt ${cutoff} or claimedAt lt ${cutoff})`;
    let deleted = 0;
    for await (const row of this.table.listEntities({
      queryOptions: { filter, select: ['PartitionKey', 'RowKey'] },
    })) {
      if (row.partitionKey === undefined || row.rowKey === undefined) continue;
      if (await deleteIfUnchanged(this.table, row.partitionKey, row.rowKey, row.etag)) deleted++;
    }
    return deleted;
  }

  async unfinished(before: Date, limit: number): Promise<ClaimRecord[]> {
    await ensureTable(this.table);
    const found: ClaimRecord[] = [];
    // Old rows (claimedAt only) are matched too: their touchedAt is missing, so filter on both.
    const filter = odata`state ne 'done' and (touchedAt lt ${before.toISOString()} or claimedAt lt ${before.toISOString()})`;
    for await (const entity of this.table.listEntities<Entity>({ queryOptions: { filter } })) {
      found.push(toRecord(entity, entity.etag));
      if (found.length >= limit * 4) break;
    }
    return found.sort((a, b) => a.touchedAt.localeCompare(b.touchedAt)).slice(0, limit);
  }
}

function keysOf(key: string): { partitionKey: string; rowKey: string } {
  const rowKey = rowKeyOf(key);
  return { partitionKey: rowKey.slice(0, 2), rowKey };
}

/** Tables reject `undefined` properties in Replace; leave them out. */
function clean(fields: Partial<ClaimFields>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function toRecord(entity: Entity, etag: string): ClaimRecord {
  const effectAt = entity.effectAt ?? entity.claimedAt ?? new Date(0).toISOString();
  return {
    key: entity.key,
    state: entity.state,
    owner: entity.owner ?? '',
    effectAt,
    touchedAt: entity.touchedAt ?? effectAt,
    attempts: typeof entity.attempts === 'number' ? entity.attempts : 0,
    ...(entity.outcome ? { outcome: storedOutcome(entity.outcome).status } : {}),
    ...(entity.detail ? { detail: entity.detail } : {}),
    ...(entity.report ? { report: entity.report } : {}),
    ...(entity.doneAt ? { doneAt: entity.doneAt } : {}),
    ...(entity.sentAt ? { sentAt: entity.sentAt } : {}),
    etag,
  };
}
