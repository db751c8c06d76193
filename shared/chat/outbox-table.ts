import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { statusOf } from '../lib/azure-status.js';
import { ensureTable } from '../lib/ensure-table.js';
import { rowKeyOf } from '../lib/row-key.js';

/** The outbox's rows in Azure Table Storage; every write that races another drainer is ETag-conditional. */

/** The stored entity. */
export interface OutboxEntity {
  partitionKey: string;
  /** sha256 hex of `noticeId`: keys must not contain `/ \ # ?` and ids may. */
  rowKey: string;
  noticeId: string;
  kind: string;
  /** The notice as compact JSON (strings capped, see `compactNotice`). */
  notice: string;
  state: 'pending' | 'done';
  createdAt: Date;
  /** Due time; while a drainer holds the item, the end of its lease. */
  nextAttemptAt: Date;
  /** The drainer holding (or last holding) the lease; empty when released. */
  leaseOwner: string;
  /** JSON of Record<sink name, SinkRecord>. */
  sinks: string;
  completedAt?: Date;
}

type Stored = Omit<OutboxEntity, 'partitionKey' | 'rowKey'>;
export type StoredEntity = TableEntityResult<Stored>;

export function outboxRowKey(noticeId: string): string {
  return rowKeyOf(noticeId);
}

export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

export class OutboxError extends Error {
  override name = 'OutboxError';
}

export class OutboxTable {
  readonly #client: TableClient;
  readonly #partitionKey: string;

  /** The table is created on first use. */
  constructor(client: TableClient, partitionKey: string) {
    this.#client = client;
    this.#partitionKey = partitionKey;
  }

  ensure(): Promise<void> {
    return ensureTable(this.#client);
  }

  /** Creates the row; `duplicate` when its RowKey exists already (409). */
  async create(entity: Omit<OutboxEntity, 'partitionKey'>): Promise<'enqueued' | 'duplicate'> {
    await this.ensure();
    try {
      await this.#client.createEntity({ partitionKey: this.#partitionKey, ...entity });
      return 'enqueued';
    } catch (error) {
      if (statusOf(error) === 409) return 'duplicate';
      throw error;
    }
  }

  async get(rowKey: string): Promise<StoredEntity | undefined> {
    await this.ensure();
    try {
      return await this.#client.getEntity<Stored>(this.#partitionKey, rowKey);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Pending rows due by `now` (a claimed row is not: its lease pushed `nextAttemptAt` out), oldest first. */
  async due(now: Date): Promise<StoredEntity[]> {
    await this.ensure();
    const filter = odata`PartitionKey eq ${this.#partitionKey} and state eq 'pending' and nextAttemptAt le ${now}`;
    const due: StoredEntity[] = [];
    for await (const entity of this.#client.listEntities<Stored>({ queryOptions: { filter } }))
      due.push(entity);
    // RowKeys are hashes: order by age so the oldest summaries go first.
    return due.sort((a, b) => toDate(a.createdAt).getTime() - toDate(b.createdAt).getTime());
  }

  async countPending(): Promise<number> {
    await this.ensure();
    const filter = odata`PartitionKey eq ${this.#partitionKey} and state eq 'pending'`;
    let count = 0;
    for await (const _ of this.#client.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
      count += 1;
    return count;
  }

  /** ETag-conditional merge; the new ETag, or undefined when someone else changed (or deleted) the row first. */
  async update(rowKey: string, etag: string, changes: Partial<Stored>): Promise<string | undefined> {
    try {
      const response = await this.#client.updateEntity(
        { partitionKey: this.#partitionKey, rowKey, ...changes },
        'Merge',
        { etag },
      );
      if (!response.etag) throw new OutboxError('Table storage returned no ETag');
      return response.etag;
    } catch (error) {
      if (statusOf(error) === 412 || statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Deletes finished rows completed before `before`, each only if unchanged since listed; how many. */
  async purgeDone(before: Date): Promise<number> {
    await this.ensure();
    const filter = odata`PartitionKey eq ${this.#partitionKey} and state eq 'done' and completedAt lt ${before}`;
    let deleted = 0;
    for await (const entity of this.#client.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
      if (!entity.rowKey) continue;
      try {
        await this.#client.deleteEntity(this.#partitionKey, entity.rowKey, { etag: entity.etag });
        deleted += 1;
      } catch (error) {
        if (statusOf(error) !== 404 && statusOf(error) !== 412) throw error;
      }
    }
    return deleted;
  }
}
