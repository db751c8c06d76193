import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { compactNotice } from './compact.js';
import { DEFAULT_SINK_TIMEOUT_MS } from './http-sink.js';
import type { Notice } from './notice.js';
import { type BackoffPolicy, DEFAULT_BACKOFF, parseSinks, type SinkRecord } from './outbox-decision.js';
import { ItemDelivery } from './outbox-delivery.js';
import { OutboxError, OutboxTable, outboxRowKey, type StoredEntity, toDate } from './outbox-table.js';
import type { ChatSink } from './sink.js';

export { compactNotice } from './compact.js';
export { type BackoffPolicy, DEFAULT_BACKOFF, type SinkRecord, type SinkState } from './outbox-decision.js';
export { type OutboxEntity, OutboxError, outboxRowKey } from './outbox-table.js';

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

export interface OutboxItem {
  noticeId: string;
  notice: Notice;
  state: 'pending' | 'done';
  createdAt: Date;
  nextAttemptAt: Date;
  sinks: Record<string, SinkRecord>;
}

export interface OutboxOptions {
  partitionKey?: string;
  /**
   * How long a claim holds an item, renewed with every post's record. Must exceed `postTimeoutMs`: a post is
   * started only while the lease still covers it.
   */
  leaseMs?: number;
  /** The longest one post can take (the sinks' timeout). Default the HTTP sinks' 10 s. */
  postTimeoutMs?: number;
  /** Monotonic milliseconds, for the lease's remaining time; injected for tests. */
  clock?: () => number;
  backoff?: Partial<BackoffPolicy>;
  /** Jitter source in [0, 1); injected for tests. */
  random?: () => number;
  /** Names this drainer in `leaseOwner`. */
  owner?: string;
  /** The guarded account every notice added here is about (a deployment with named accounts). */
  account?: string;
}

export interface DrainOptions {
  sinks: readonly ChatSink[];
  now?: Date;
  /** Items claimed per drain, oldest first. Default 50. */
  maxItems?: number;
  /**
   * Stops the drain between posts, never during one: a post cut off after the receiver had it would be
   * sent again (a duplicate), and a post's own timeout (10 s) already bounds it.
   */
  signal?: AbortSignal;
}

export interface DrainAllOptions {
  sinks: readonly ChatSink[];
  signal?: AbortSignal;
  /** Time for all pages together; what is left waits for the next call. Default 10 s. */
  budgetMs?: number;
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

/**
 * Renewed with every post's record, so it need only cover one post (10 s) and its record write on a slow
 * storage answer; short, so a notice a crashed drainer held goes out soon after.
 */
export const DEFAULT_LEASE_MS = 30_000;
const PAGE_ITEMS = 50;
const DRAIN_BUDGET_MS = 10_000;

export class Outbox {
  readonly #table: OutboxTable;
  readonly #account: string | undefined;
  readonly #delivery: ItemDelivery;

  /** `client` is bound to the outbox table (conventionally `OUTBOX_TABLE`); the table is created on first use. */
  constructor(client: TableClient, options: OutboxOptions = {}) {
    this.#table = new OutboxTable(client, options.partitionKey ?? OUTBOX_PARTITION);
    this.#account = options.account;
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const postTimeoutMs = options.postTimeoutMs ?? DEFAULT_SINK_TIMEOUT_MS;
    if (leaseMs <= postTimeoutMs)
      throw new OutboxError(`The outbox lease (${leaseMs} ms) must exceed one post (${postTimeoutMs} ms)`);
    this.#delivery = new ItemDelivery(this.#table, {
      leaseMs,
      postTimeoutMs,
      clock: options.clock ?? (() => performance.now()),
      owner: options.owner ?? randomUUID(),
      policy: { ...DEFAULT_BACKOFF, ...options.backoff },
      random: options.random ?? Math.random,
    });
  }

  /** Stores the notice once; a notice whose id is already in the outbox (pending or done) is a no-op. */
  async enqueue(notice: Notice, now: Date = new Date()): Promise<void> {
    await this.add(notice, now);
  }

  /** `enqueue`, telling whether the notice was new (`enqueued`) or already there (`duplicate`). */
  add(given: Notice, now: Date = new Date()): Promise<'enqueued' | 'duplicate'> {
    if (!given.id) return Promise.reject(new OutboxError('A notice needs an id'));
    const notice = this.#account && !given.account ? { ...given, account: this.#account } : given;
    return this.#table.create({
      rowKey: outboxRowKey(notice.id),
      noticeId: notice.id,
      kind: notice.kind,
      notice: compactNotice(notice),
      state: 'pending',
      createdAt: now,
      nextAttemptAt: now,
      leaseOwner: '',
      sinks: '{}',
    });
  }

  /** The stored item for a notice id, for operators and tests. */
  async get(noticeId: string): Promise<OutboxItem | undefined> {
    const entity = await this.#table.get(outboxRowKey(noticeId));
    return entity && toItem(entity);
  }

  /** Delivers every due item (up to `maxItems`) to every sink it has not reached yet. */
  async drain(options: DrainOptions): Promise<DrainResult> {
    const result: DrainResult = { delivered: 0, retried: 0, failedPermanently: 0, pending: 0, skipped: 0 };
    const names = new Set(options.sinks.map((sink) => sink.name));
    if (names.size !== options.sinks.length) throw new OutboxError('Sink names must be unique');
    await this.#table.ensure();
    // Without sinks nothing could be delivered, and finishing items would drop them for later sinks.
    if (options.sinks.length > 0) {
      const now = options.now ?? new Date();
      const due = await this.#table.due(now);
      for (const entity of due.slice(0, options.maxItems ?? PAGE_ITEMS)) {
        if (options.signal?.aborted) break;
        await this.#delivery.deliver(entity, options, now, result);
      }
    }
    result.pending = await this.#table.countPending();
    return result;
  }

  /**
   * Drains page after page until nothing due is left or the budget is spent: a burst need not wait for the
   * next run, and a chat outage (every post timing out) costs this loop, never its caller. Counts posts over
   * all pages; `pending` is after the last.
   */
  async drainAll(options: DrainAllOptions): Promise<DrainResult> {
    const budget = AbortSignal.timeout(options.budgetMs ?? DRAIN_BUDGET_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, budget]) : budget;
    const total: DrainResult = { delivered: 0, retried: 0, failedPermanently: 0, pending: 0, skipped: 0 };
    let page: DrainResult;
    do {
      page = await this.drain({ sinks: options.sinks, maxItems: PAGE_ITEMS, signal });
      for (const key of ['delivered', 'retried', 'failedPermanently', 'skipped'] as const)
        total[key] += page[key];
    } while (page.delivered + page.retried + page.failedPermanently >= PAGE_ITEMS && !signal.aborted);
    total.pending = page.pending;
    return total;
  }

  /** Deletes finished items completed before `before`; their ids could then be enqueued again. */
  purge(before: Date): Promise<number> {
    return this.#table.purgeDone(before);
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
