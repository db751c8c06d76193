import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { isPermanentForItem } from '../gatekeeper/failures.js';
import { storedOutcome } from '../gatekeeper/outcome.js';
import type { ClaimFields, ClaimOpening, ClaimRecord, ClaimStore, OpenedClaim } from '../gatekeeper/ports.js';
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

/** Operations Azure Tables accepts in one entity-group transaction. */
const MAX_TRANSACTION = 100;

/**
 * Claims in Azure Tables: one row per effect key, every change ETag-conditional, so two runs never both own
 * a claim. The claims about one meeting (its participants' removals and decisions) share a partition, so
 * `openMany` opens a burst's claims in one entity-group transaction per meeting; other keys spread over 256
 * partitions. Rows of the previous layout are still read and written where they are (`legacyRows`).
 */
export class TableClaimStore implements ClaimStore {
  /** Row keys of rows in the previous layout; listed once per process, with the table's creation. */
  private legacy: Promise<ReadonlySet<string>> | undefined;

  constructor(private readonly table: TableClient) {}

  /** Create the table and list the previous layout's rows now (at start) rather than on the first claim. */
  async warm(): Promise<void> {
    await this.ready();
  }

  async open(key: string, fresh: ClaimFields): Promise<OpenedClaim> {
    const { partitionKey, rowKey } = locate(key, await this.ready());
    try {
      const created = await this.table.createEntity({ partitionKey, rowKey, key, ...clean(fresh) });
      return { created: true, record: { key, ...fresh, etag: created.etag ?? '' } };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
    const existing = await this.table.getEntity<Entity>(partitionKey, rowKey);
    return { created: false, record: toRecord(existing, existing.etag) };
  }

  /**
   * Opens the claims of one meeting together, in one transaction (all or none are created). When one exists
   * already, or the store refuses one, the transaction creates nothing and each is opened on its own. One
   * meeting's failure is its claims' alone: the other meetings' claims go on to their removals.
   */
  async openMany(openings: readonly ClaimOpening[]): Promise<PromiseSettledResult<OpenedClaim>[]> {
    const legacy = await this.ready();
    const groups = new Map<string, number[]>();
    for (const [index, { key }] of openings.entries()) {
      const { partitionKey, rowKey } = locate(key, legacy);
      // A previous-layout row exists already: opening it only reads it.
      const group = legacy.has(rowKey) ? `legacy ${index}` : partitionKey;
      groups.set(group, [...(groups.get(group) ?? []), index]);
    }
    const results: PromiseSettledResult<OpenedClaim>[] = [];
    await Promise.all(
      [...groups.values()].flatMap(chunks).map(async (indices) => {
        const together = indices.map((index) => openings[index] as ClaimOpening);
        let settled: PromiseSettledResult<OpenedClaim>[];
        try {
          const created = together.length > 1 ? await this.createAll(together, legacy) : undefined;
          settled = created
            ? created.map((value) => ({ status: 'fulfilled', value }))
            : await Promise.allSettled(together.map(({ key, fresh }) => this.open(key, fresh)));
        } catch (reason) {
          // The transaction failed as a whole (an outage): it created none of its claims.
          settled = together.map(() => ({ status: 'rejected', reason }));
        }
        for (const [position, index] of indices.entries())
          results[index] = settled[position] as PromiseSettledResult<OpenedClaim>;
      }),
    );
    return results;
  }

  async read(key: string): Promise<ClaimRecord | undefined> {
    const { partitionKey, rowKey } = locate(key, await this.ready());
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
    const at = locate(key, await this.ready());
    try {
      const updated = await this.table.updateEntity({ ...at, key, ...clean(fields) }, 'Replace', {
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
    await this.ready();
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
    await this.ready();
    const found: ClaimRecord[] = [];
    // Old rows (claimedAt only) are matched too: their touchedAt is missing, so filter on both.
    const filter = odata`state ne 'done' and (touchedAt lt ${before.toISOString()} or claimedAt lt ${before.toISOString()})`;
    for await (const entity of this.table.listEntities<Entity>({ queryOptions: { filter } })) {
      found.push(toRecord(entity, entity.etag));
      if (found.length >= limit * 4) break;
    }
    return found.sort((a, b) => a.touchedAt.localeCompare(b.touchedAt)).slice(0, limit);
  }

  async begunInMeeting(conversationHref: string, since: string): Promise<ClaimRecord[]> {
    await this.ready();
    const meeting = MEETING.exec(`meeting|${conversationHref}`)?.[1];
    if (!meeting) return [];
    // One partition, and only the effects begun since: a rare path (a removal whose href shows nobody).
    const filter = odata`PartitionKey eq ${meetingPartition(meeting)} and effectAt ge ${since}`;
    const found: ClaimRecord[] = [];
    for await (const entity of this.table.listEntities<Entity>({ queryOptions: { filter } }))
      found.push(toRecord(entity, entity.etag));
    return found;
  }

  /** Creates every claim in one transaction: the records, or undefined when the transaction created none. */
  private async createAll(
    openings: readonly ClaimOpening[],
    legacy: ReadonlySet<string>,
  ): Promise<OpenedClaim[] | undefined> {
    const keys = openings.map(({ key }) => key);
    // The same key twice cannot be created twice: opened one by one, the second finds the first.
    if (new Set(keys).size < keys.length) return undefined;
    const actions: TransactionAction[] = openings.map(({ key, fresh }) => [
      'create',
      { ...locate(key, legacy), key, ...clean(fresh) },
    ]);
    try {
      const response = await this.table.submitTransaction(actions);
      return openings.map(({ key, fresh }) => ({
        created: true,
        record: { key, ...fresh, etag: response.getResponseForEntity(rowKeyOf(key))?.etag ?? '' },
      }));
    } catch (error) {
      if (statusOf(error) === 409 || isPermanentForItem(error)) return undefined;
      throw error;
    }
  }

  private ready(): Promise<ReadonlySet<string>> {
    this.legacy ??= ensureTable(this.table)
      .then(() => legacyRows(this.table))
      .catch((error: unknown) => {
        this.legacy = undefined;
        throw error;
      });
    return this.legacy;
  }
}

/** The meeting a key is about (its conversation href): removals, lobby decisions, "not a leader here". */
const MEETING = /^[^|]*\|(.*?\/conversations\/[^/|?#]+)/;

/**
 * Where a claim's row is: PartitionKey `m` + a hash of its meeting, or `k` + two hex digits of the key's
 * hash; a row of the previous layout (PartitionKey: those two digits alone) stays where it is.
 */
function locate(key: string, legacy: ReadonlySet<string>): { partitionKey: string; rowKey: string } {
  const rowKey = rowKeyOf(key);
  if (legacy.has(rowKey)) return { partitionKey: rowKey.slice(0, 2), rowKey };
  const meeting = MEETING.exec(key)?.[1];
  return { partitionKey: meeting ? meetingPartition(meeting) : `k${rowKey.slice(0, 2)}`, rowKey };
}

function meetingPartition(conversationHref: string): string {
  return `m${rowKeyOf(conversationHref).slice(0, 32)}`;
}

/**
 * Row keys of the rows written before claims were partitioned by meeting (PartitionKey: two hex digits, so
 * below 'g'). Read for one release, until retention has purged them; the next drops this. A row an older
 * instance writes after the listing (while a deployment overlaps) is not seen.
 */
async function legacyRows(table: TableClient): Promise<ReadonlySet<string>> {
  const rows = new Set<string>();
  for await (const row of table.listEntities({
    queryOptions: { filter: "PartitionKey lt 'g'", select: ['RowKey'] },
  })) {
    if (row.rowKey) rows.add(row.rowKey);
  }
  return rows;
}

/** Up to MAX_TRANSACTION indices at a time. */
function chunks(indices: number[]): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < indices.length; start += MAX_TRANSACTION)
    out.push(indices.slice(start, start + MAX_TRANSACTION));
  return out;
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
