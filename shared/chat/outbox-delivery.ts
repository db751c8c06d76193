import { errorMessage } from '../lib/describe-error.js';
import type { Notice } from './notice.js';
import type { DrainOptions, DrainResult } from './outbox.js';
import {
  afterPost,
  type BackoffPolicy,
  itemAfter,
  parseSinks,
  type SinkRecord,
  sinkDue,
} from './outbox-decision.js';
import { type OutboxTable, type StoredEntity, toDate } from './outbox-table.js';
import type { ChatSink, DeliveryResult } from './sink.js';

/** Deliveries whose record could not be written, remembered so a later drain records instead of re-posting. */
const MAX_UNRECORDED = 1_000;

const COUNTED: Record<DeliveryResult['outcome'], 'delivered' | 'retried' | 'failedPermanently'> = {
  delivered: 'delivered',
  retry: 'retried',
  failed: 'failedPermanently',
};

export interface ItemDeliveryOptions {
  leaseMs: number;
  postTimeoutMs: number;
  /** Monotonic milliseconds: the lease's time passes with it. */
  clock: () => number;
  /** Names this drainer in `leaseOwner`. */
  owner: string;
  policy: BackoffPolicy;
  random: () => number;
}

/**
 * One due outbox item delivered to its sinks under a lease (the outbox's drain, item by item): claimed with
 * an ETag-conditional write that pushes `nextAttemptAt` past the lease; each post's result recorded right
 * after it, renewing the lease in the same write; a post started only while the lease still covers it, so no
 * other drainer takes the item over mid-post and sends it again.
 */
export class ItemDelivery {
  /**
   * Sinks this process posted an item to (or gave up on) whose record a storage failure lost, by row key and
   * sink: the next drain writes the record instead of posting again. A crash forgets them (at least once).
   */
  readonly #unrecorded = new Map<string, SinkRecord>();

  constructor(
    private readonly table: OutboxTable,
    private readonly options: ItemDeliveryOptions,
  ) {}

  async deliver(entity: StoredEntity, drain: DrainOptions, now: Date, result: DrainResult): Promise<void> {
    const { table } = this;
    const { leaseMs, postTimeoutMs, clock, owner } = this.options;
    const rowKey = entity.rowKey;
    if (!rowKey || !entity.etag) return;
    // `now` may be a test's; the lease's time passes with the clock.
    const started = clock();
    const elapsed = () => clock() - started;
    // Set before each write goes out, so it never claims more than the store will hold.
    let leaseEnd = leaseMs;
    let etag = await table.update(rowKey, entity.etag, {
      leaseOwner: owner,
      nextAttemptAt: new Date(now.getTime() + leaseEnd),
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
      await table.update(rowKey, etag, { state: 'done', completedAt: now, leaseOwner: '' });
      return;
    }
    const pass = { now, policy: this.options.policy, random: this.options.random };
    for (const sink of drain.sinks) {
      if (drain.signal?.aborted) break;
      // Keyed by the item's creation too: an id purged and enqueued again is a new item.
      const memo = `${rowKey}|${toDate(entity.createdAt).getTime()}|${sink.name}`;
      if (!sinkDue(records[sink.name], now)) {
        this.#unrecorded.delete(memo);
        continue;
      }
      let record = this.#unrecorded.get(memo);
      if (!record) {
        // A post the lease might not outlast could be taken over and sent again: left for the next drain.
        if (leaseEnd - elapsed() < postTimeoutMs) break;
        const outcome = await post(sink, notice);
        result[COUNTED[outcome.outcome]] += 1;
        record = afterPost(records[sink.name], outcome, pass);
        if (record.state !== 'pending') this.#remember(memo, record);
      }
      records[sink.name] = record;
      leaseEnd = elapsed() + leaseMs;
      etag = await table.update(rowKey, etag, {
        sinks: JSON.stringify(records),
        nextAttemptAt: new Date(now.getTime() + leaseEnd),
      });
      this.#unrecorded.delete(memo);
      if (!etag) {
        // The lease ran out and another drainer took over; it sees what was recorded before.
        result.skipped += 1;
        return;
      }
    }
    const item = itemAfter(
      drain.sinks.map((sink) => sink.name),
      records,
      now,
    );
    await table.update(rowKey, etag, {
      leaseOwner: '',
      ...(item.state === 'done'
        ? { state: 'done', nextAttemptAt: now, completedAt: now }
        : { state: 'pending', nextAttemptAt: item.nextAttemptAt }),
    });
  }

  #remember(memo: string, record: SinkRecord): void {
    this.#unrecorded.set(memo, record);
    const oldest = this.#unrecorded.keys().next().value;
    if (this.#unrecorded.size > MAX_UNRECORDED && oldest !== undefined) this.#unrecorded.delete(oldest);
  }
}

async function post(sink: ChatSink, notice: Notice): Promise<DeliveryResult> {
  try {
    return await sink.deliver(notice);
  } catch (error) {
    // Sinks report instead of throwing; one that throws anyway is treated as an outage, not a loss.
    return {
      outcome: 'retry',
      message: `${sink.name} threw: ${errorMessage(error)}`,
    };
  }
}
