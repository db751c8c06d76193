import { createHash, randomUUID } from 'node:crypto';
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { Notice } from './notice.js';
import type { ChatSink, DeliveryResult } from './sink.js';
import { cap } from './text.js';

/**
 * A durable outbox in Azure Table Storage. A chat outage delays summaries but never loses them, and no
 * notice reaches the same sink twice through the outbox:
 *
 * - enqueue creates one entity per notice id (RowKey = sha256 of the id); a second create answers 409 and
 *   is a no-op. Finished entities stay as tombstones (until `purge`), so a late duplicate stays a no-op.
 * - drain claims a due entity with an ETag-conditional update that also pushes `nextAttemptAt` past the
 *   lease; a drainer that loses the 412 race skips the entity, and other drainers' queries no longer see it
 *   until the lease ends. Each sink's result is written (ETag-conditional again) right after its post,
 *   so a crash repeats at most the one post in flight.
 */

export const OUTBOX_TABLE = 'outbox';
export const OUTBOX_PARTITION = 'notice';

export type SinkState = 'pending' | 'delivered' | 'failed';

/** Per-sink delivery record, stored as JSON in the `sinks` property. */
export interface SinkRecord {
  state: SinkState;
  attempts: number;
  /** ISO time of the next attempt (pending sinks that failed before). */
  nextAttemptAt?: string;
  /** ISO time of delivery or of the permanent failure. */
  at?: string;
  /** The sink's message (URLs already redacted by the sink). */
  lastError?: string;
}

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

export interface OutboxItem {
  noticeId: string;
  notice: Notice;
  state: 'pending' | 'done';
  createdAt: Date;
  nextAttemptAt: Date;
  sinks: Record<string, SinkRecord>;
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** A Retry-After longer than this is shortened to it. */
  maxRetryAfterMs: number;
}

export interface OutboxOptions {
  partitionKey?: string;
  /** How long a claim holds an item. Must exceed the time to post to every sink (sum of their timeouts). */
  leaseMs?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Jitter source in [0, 1); injected for tests. */
  random?: () => number;
  /** Names this drainer in `leaseOwner`. */
  owner?: string;
}

export interface DrainOptions {
  sinks: readonly ChatSink[];
  now?: Date;
  /** Items claimed per drain, oldest first. Default 50. */
  maxItems?: number;
  signal?: AbortSignal;
}

export interface DrainResult {
  /** Sink posts that succeeded in this drain. */
  delivered: number;
  /** Sink posts that failed and are scheduled again. */
  retried: number;
  /** Sink posts that failed for good. */
  failedPermanently: number;
  /** Items still waiting for at least one sink after this drain. */
  pending: number;
  /** Items another drainer claimed first (or took over after this drainer's lease ran out). */
  skipped: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 30_000,
  maxMs: 30 * 60_000,
  maxRetryAfterMs: 60 * 60_000,
};
/**
 * Longer than a drain can hold an item (three sinks at their 10 s timeout), short enough that a notice a
 * crashed drainer held goes out within a minute.
 */
export const DEFAULT_LEASE_MS = 45_000;
const DEFAULT_MAX_ITEMS = 50;

/** Table string properties hold 64 KiB (32 K UTF-16 characters); notices are small, stay far below. */
const MAX_NOTICE_JSON = 30_000;
const MAX_STORED_STRING = 4_000;
const MAX_STORED_ARRAY = 32;
const MAX_ERROR_CHARS = 500;

export class OutboxError extends Error {
  override name = 'OutboxError';
}

export function outboxRowKey(noticeId: string): string {
  return createHash('sha256').update(noticeId).digest('hex');
}

/** OData literals. Written here instead of importing `odata` so this module never loads the SDK (≈0.4 s). */
const text = (value: string) => `'${value.replaceAll("'", "''")}'`;
const datetime = (value: Date) => `datetime'${value.toISOString()}'`;

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function capDeep(value: unknown, max: number): unknown {
  if (typeof value === 'string') return cap(value, max);
  if (Array.isArray(value)) return value.slice(0, MAX_STORED_ARRAY).map((item) => capDeep(item, max));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, capDeep(item, max)]));
  }
  return value;
}

/** Ever shorter caps until the stored JSON fits; control characters, escaped as \uXXXX, take six each. */
const STRING_CAPS = [MAX_STORED_STRING, 1_000, 250, 60];

/**
 * `value` as JSON of at most `maxChars`: every string capped (a cut string ends with an ellipsis) and arrays
 * at 32 entries, capped harder until it fits; undefined when even the hardest caps do not fit.
 */
export function fitJson(value: unknown, maxChars: number): string | undefined {
  for (const max of STRING_CAPS) {
    const json = JSON.stringify(capDeep(value, max));
    if (json.length <= maxChars) return json;
  }
  return undefined;
}

/**
 * The notice as stored, fitted to one table property (renderers show far less than is kept). Never throws
 * for size: a sender who controls a name and a subject must not be able to keep their invitation out of chat.
 */
export function compactNotice(notice: Notice): string {
  // Unreachable for the notices the gatekeeper builds; keep what identifies it if a future field is huge.
  const { id, kind, at, mode, decision, outcome } = notice;
  return (
    fitJson(notice, MAX_NOTICE_JSON) ?? JSON.stringify(capDeep({ id, kind, at, mode, decision, outcome }, 60))
  );
}

function parseSinks(json: string | undefined): Record<string, SinkRecord> {
  if (!json) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, SinkRecord>) : {};
  } catch {
    return {};
  }
}

function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

type StoredEntity = TableEntityResult<Omit<OutboxEntity, 'partitionKey' | 'rowKey'>>;

export class Outbox {
  readonly #client: TableClient;
  readonly #partitionKey: string;
  readonly #leaseMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #owner: string;
  #tableReady: Promise<void> | undefined;

  /** `client` is bound to the outbox table (conventionally `OUTBOX_TABLE`); the table is created on first use. */
  constructor(client: TableClient, options: OutboxOptions = {}) {
    this.#client = client;
    this.#partitionKey = options.partitionKey ?? OUTBOX_PARTITION;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#random = options.random ?? Math.random;
    this.#owner = options.owner ?? randomUUID();
  }

  #ensureTable(): Promise<void> {
    // createTable treats "already exists" as success; a failure is not memoised so the next call retries.
    this.#tableReady ??= this.#client.createTable().catch((error: unknown) => {
      this.#tableReady = undefined;
      throw error;
    });
    return this.#tableReady;
  }

  /** Stores the notice once; a notice whose id is already in the outbox (pending or done) is a no-op. */
  async enqueue(notice: Notice, now: Date = new Date()): Promise<void> {
    await this.add(notice, now);
  }

  /** `enqueue`, telling whether the notice was new (`enqueued`) or already there (`duplicate`). */
  async add(notice: Notice, now: Date = new Date()): Promise<'enqueued' | 'duplicate'> {
    if (!notice.id) throw new OutboxError('A notice needs an id');
    await this.#ensureTable();
    const entity: OutboxEntity = {
      partitionKey: this.#partitionKey,
      rowKey: outboxRowKey(notice.id),
      noticeId: notice.id,
      kind: notice.kind,
      notice: compactNotice(notice),
      state: 'pending',
      createdAt: now,
      nextAttemptAt: now,
      leaseOwner: '',
      sinks: '{}',
    };
    try {
      await this.#client.createEntity(entity);
      return 'enqueued';
    } catch (error) {
      if (statusOf(error) === 409) return 'duplicate';
      throw error;
    }
  }

  /** The stored item for a notice id, for operators and tests. */
  async get(noticeId: string): Promise<OutboxItem | undefined> {
    await this.#ensureTable();
    try {
      const entity = await this.#client.getEntity<Omit<OutboxEntity, 'partitionKey' | 'rowKey'>>(
        this.#partitionKey,
        outboxRowKey(noticeId),
      );
      return toItem(entity);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Delivers every due item to every sink it has not reached yet. */
  async drain(options: DrainOptions): Promise<DrainResult> {
    const result: DrainResult = { delivered: 0, retried: 0, failedPermanently: 0, pending: 0, skipped: 0 };
    const names = new Set(options.sinks.map((sink) => sink.name));
    if (names.size !== options.sinks.length) throw new OutboxError('Sink names must be unique');
    await this.#ensureTable();
    // Without sinks nothing could be delivered, and finishing items would drop them for later sinks.
    if (options.sinks.length > 0) {
      const now = options.now ?? new Date();
      const due = await this.#due(now);
      for (const entity of due.slice(0, options.maxItems ?? DEFAULT_MAX_ITEMS)) {
        if (options.signal?.aborted) break;
        await this.#process(entity, options, now, result);
      }
    }
    result.pending = await this.#countPending();
    return result;
  }

  /** Deletes finished items completed before `before`; their ids could then be enqueued again. */
  async purge(before: Date): Promise<number> {
    await this.#ensureTable();
    let deleted = 0;
    const filter = `PartitionKey eq ${text(this.#partitionKey)} and state eq 'done' and completedAt lt ${datetime(before)}`;
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

  async #due(now: Date): Promise<StoredEntity[]> {
    const filter = `PartitionKey eq ${text(this.#partitionKey)} and state eq 'pending' and nextAttemptAt le ${datetime(now)}`;
    const due: StoredEntity[] = [];
    for await (const entity of this.#client.listEntities<Omit<OutboxEntity, 'partitionKey' | 'rowKey'>>({
      queryOptions: { filter },
    })) {
      due.push(entity);
    }
    // RowKeys are hashes: order by age so the oldest summaries go first.
    return due.sort((a, b) => toDate(a.createdAt).getTime() - toDate(b.createdAt).getTime());
  }

  async #countPending(): Promise<number> {
    const filter = `PartitionKey eq ${text(this.#partitionKey)} and state eq 'pending'`;
    let count = 0;
    for await (const _ of this.#client.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
      count += 1;
    return count;
  }

  /** ETag-conditional merge; the new ETag, or undefined when someone else changed the entity first. */
  async #update(rowKey: string, etag: string, changes: Partial<OutboxEntity>): Promise<string | undefined> {
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

  #retryDelay(attempts: number, retryAfterMs: number | undefined): number {
    const { baseMs, maxMs, maxRetryAfterMs } = this.#backoff;
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
    // Equal jitter: at least half the backoff, so drainers never hammer a recovering sink.
    const backoff = Math.floor(ceiling / 2 + (this.#random() * ceiling) / 2);
    return Math.max(backoff, Math.min(retryAfterMs ?? 0, maxRetryAfterMs));
  }

  async #process(entity: StoredEntity, options: DrainOptions, now: Date, result: DrainResult): Promise<void> {
    const rowKey = entity.rowKey;
    if (!rowKey || !entity.etag) return;
    let etag = await this.#update(rowKey, entity.etag, {
      leaseOwner: this.#owner,
      nextAttemptAt: new Date(now.getTime() + this.#leaseMs),
    });
    if (!etag) {
      result.skipped += 1;
      return;
    }
    let notice: Notice;
    const records = parseSinks(entity.sinks);
    try {
      notice = JSON.parse(entity.notice) as Notice;
    } catch {
      // Cannot happen for entities enqueue wrote; finish it rather than retry it forever.
      await this.#update(rowKey, etag, { state: 'done', completedAt: now, leaseOwner: '' });
      return;
    }
    for (const sink of options.sinks) {
      if (options.signal?.aborted) break;
      const record = records[sink.name] ?? { state: 'pending', attempts: 0 };
      if (record.state !== 'pending') continue;
      if (record.nextAttemptAt && Date.parse(record.nextAttemptAt) > now.getTime()) continue;
      const outcome = await this.#deliver(sink, notice, options.signal);
      records[sink.name] = this.#record(record, outcome, now, result);
      etag = await this.#update(rowKey, etag, { sinks: JSON.stringify(records) });
      if (!etag) {
        // The lease ran out and another drainer took over; it sees what was recorded before.
        result.skipped += 1;
        return;
      }
    }
    const waiting = options.sinks
      .map((sink) => records[sink.name])
      .filter((record) => record === undefined || record.state === 'pending');
    const done = waiting.length === 0;
    const next = waiting.reduce(
      (earliest, record) =>
        Math.min(earliest, record?.nextAttemptAt ? Date.parse(record.nextAttemptAt) : now.getTime()),
      Number.POSITIVE_INFINITY,
    );
    await this.#update(rowKey, etag, {
      state: done ? 'done' : 'pending',
      leaseOwner: '',
      nextAttemptAt: done ? now : new Date(next),
      ...(done && { completedAt: now }),
    });
  }

  async #deliver(sink: ChatSink, notice: Notice, signal: AbortSignal | undefined): Promise<DeliveryResult> {
    try {
      return await sink.deliver(notice, signal ? { signal } : {});
    } catch (error) {
      // Sinks report instead of throwing; one that throws anyway is treated as an outage, not a loss.
      return {
        outcome: 'retry',
        message: `${sink.name} threw: ${error instanceof Error ? error.message : error}`,
      };
    }
  }

  #record(previous: SinkRecord, outcome: DeliveryResult, now: Date, result: DrainResult): SinkRecord {
    const attempts = previous.attempts + 1;
    switch (outcome.outcome) {
      case 'delivered':
        result.delivered += 1;
        return { state: 'delivered', attempts, at: now.toISOString() };
      case 'failed':
        result.failedPermanently += 1;
        return {
          state: 'failed',
          attempts,
          at: now.toISOString(),
          lastError: cap(outcome.message, MAX_ERROR_CHARS),
        };
      case 'retry': {
        result.retried += 1;
        const next = new Date(now.getTime() + this.#retryDelay(attempts, outcome.retryAfterMs));
        return {
          state: 'pending',
          attempts,
          nextAttemptAt: next.toISOString(),
          lastError: cap(outcome.message, MAX_ERROR_CHARS),
        };
      }
    }
  }
}

function toItem(entity: StoredEntity): OutboxItem {
  return {
    noticeId: entity.noticeId,
    notice: JSON.parse(entity.notice) as Notice,
    state: entity.state,
    createdAt: toDate(entity.createdAt),
    nextAttemptAt: toDate(entity.nextAttemptAt),
    sinks: parseSinks(entity.sinks),
  };
}
