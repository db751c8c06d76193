import type { Backoff } from '../lib/backoff.js';

/**
 * Bounded retries with exponential backoff and full jitter (shared/lib/backoff.ts), honouring Retry-After
 * (docs/ucwa-protocol.md §13.2).
 */
export interface RetryPolicy extends Backoff {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** A Retry-After longer than this is not waited for: the error goes to the caller. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseMs: 200,
  maxMs: 5_000,
  maxRetryAfterMs: 30_000,
};

/** Statuses worth retrying for a request that is safe to repeat. */
export const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
