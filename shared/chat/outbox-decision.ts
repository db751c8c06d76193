import { type Backoff, backoffDelay } from '../lib/backoff.js';
import type { DeliveryResult } from './sink.js';
import { cap } from './text.js';

/** What the outbox decides, per sink and per item, without storage or clocks of its own: table-tested. */

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

export interface BackoffPolicy extends Backoff {
  /** A Retry-After longer than this is shortened to it. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 30_000,
  maxMs: 30 * 60_000,
  maxRetryAfterMs: 60 * 60_000,
};

const MAX_ERROR_CHARS = 500;

/** Whether a sink gets a post in this pass: it has not been reached or failed for good, and is due. */
export function sinkDue(record: SinkRecord | undefined, now: Date): boolean {
  if (!record) return true;
  if (record.state !== 'pending') return false;
  return !record.nextAttemptAt || Date.parse(record.nextAttemptAt) <= now.getTime();
}

/** Delay before the next attempt after `attempts` failures; `jitter` in [0, 1). */
export function retryDelay(
  policy: BackoffPolicy,
  attempts: number,
  retryAfterMs: number | undefined,
  jitter: number,
): number {
  // Equal jitter: at least half the backoff, so drainers never hammer a recovering sink.
  const backoff = backoffDelay(policy, Math.max(0, attempts - 1), 'equal', () => jitter);
  return Math.max(backoff, Math.min(retryAfterMs ?? 0, policy.maxRetryAfterMs));
}

/** The pass a post belongs to: its time, and how a retry is spaced (`random` is drawn only for a retry). */
export interface PostPass {
  now: Date;
  policy: BackoffPolicy;
  random: () => number;
}

/** The sink's record after one post answered `result`. */
export function afterPost(
  previous: SinkRecord | undefined,
  result: DeliveryResult,
  { now, policy, random }: PostPass,
): SinkRecord {
  const attempts = (previous?.attempts ?? 0) + 1;
  switch (result.outcome) {
    case 'delivered':
      return { state: 'delivered', attempts, at: now.toISOString() };
    case 'failed':
      return {
        state: 'failed',
        attempts,
        at: now.toISOString(),
        lastError: cap(result.message, MAX_ERROR_CHARS),
      };
    case 'retry': {
      const delay = retryDelay(policy, attempts, result.retryAfterMs, random());
      return {
        state: 'pending',
        attempts,
        nextAttemptAt: new Date(now.getTime() + delay).toISOString(),
        lastError: cap(result.message, MAX_ERROR_CHARS),
      };
    }
  }
}

export type ItemState = { state: 'done' } | { state: 'pending'; nextAttemptAt: Date };

/**
 * The item after a pass over `sinks`: done when none still waits (a sink without a record waits), else due
 * at the earliest retry, or now for a sink not tried yet.
 */
export function itemAfter(
  sinks: readonly string[],
  records: Record<string, SinkRecord>,
  now: Date,
): ItemState {
  const waiting = sinks
    .map((name) => records[name])
    .filter((record) => !record || record.state === 'pending');
  if (waiting.length === 0) return { state: 'done' };
  const next = Math.min(
    ...waiting.map((record) => (record?.nextAttemptAt ? Date.parse(record.nextAttemptAt) : now.getTime())),
  );
  return { state: 'pending', nextAttemptAt: new Date(next) };
}

/** The `sinks` property as records; anything unreadable counts as no sink reached yet. */
export function parseSinks(json: string | undefined): Record<string, SinkRecord> {
  if (!json) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, SinkRecord>) : {};
  } catch {
    return {};
  }
}
