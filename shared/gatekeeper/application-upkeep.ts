import { type Backoff, backoffDelay } from '../lib/backoff.js';
import { describeError } from '../lib/describe-error.js';
import { ScopeError, UcwaError } from '../ucwa/errors.js';
import { type BackgroundLoop, repeatInBackground } from './background.js';
import type { Logger } from './logger.js';

/**
 * Keeping the UCWA application alive (docs/ucwa-protocol.md §4.2–§4.3): report activity beside the event
 * channel, and re-create the application — spaced out, loudly when it keeps happening — when the server
 * dropped it anyway.
 */

/** Default report interval: UCWA asks for one at least every four minutes (UCWA_KEEPALIVE_SECONDS). */
export const DEFAULT_KEEPALIVE_MS = 180_000;

/** `baseMs`: the pause before the second re-creation within the window; doubled for each further one. */
export interface RecreationPolicy extends Backoff {
  /** Re-creations within the window that raise one alert; re-creating goes on at the longest pause. */
  limit: number;
  windowMs: number;
}

export const DEFAULT_RECREATION: RecreationPolicy = {
  baseMs: 2_000,
  maxMs: 120_000,
  limit: 5,
  windowMs: 60 * 60_000,
};

/**
 * Before re-creating the application at `now`: how long to wait, the history to store (ISO times of the
 * re-creations within the window, this one included), and whether this one reaches the limit.
 */
export function planRecreation(
  history: readonly string[] | undefined,
  now: number,
  policy: RecreationPolicy,
): { delayMs: number; history: string[]; atLimit: boolean } {
  const recent = (history ?? []).filter((at) => now - Date.parse(at) < policy.windowMs);
  const count = recent.length;
  const delayMs = count === 0 ? 0 : backoffDelay(policy, count - 1, 'none');
  return {
    delayMs,
    history: [...recent, new Date(now).toISOString()].slice(-policy.limit * 2),
    atLimit: count + 1 === policy.limit,
  };
}

/** The server refused the report itself (as opposed to an outage): it will not succeed by retrying. */
function refused(error: unknown): boolean {
  return (
    error instanceof ScopeError ||
    (error instanceof UcwaError && ['not-permitted', 'refresh-state', 'client-bug'].includes(error.action))
  );
}

/**
 * Report activity now and every `everyMs` while `signal` holds. A report the server refuses is said once
 * (log and alert): the application then expires and is re-created with backoff (planRecreation).
 */
export function keepAlive(
  deps: {
    report: (signal: AbortSignal) => Promise<boolean>;
    log: Logger;
    alert?: (error: unknown) => void;
  },
  everyMs: number,
  signal: AbortSignal,
): BackgroundLoop {
  let said = false;
  return repeatInBackground(deps.report, {
    everyMs,
    signal,
    onError: (error) => {
      if (error instanceof UcwaError && error.applicationGone) return; // the channel re-creates it
      if (!refused(error)) {
        deps.log.warn('reportMyActivity failed; will try again', { error: describeError(error) });
        return;
      }
      if (said) return;
      said = true;
      deps.log.error(
        'UCWA refused reportMyActivity: the application will expire without it and be re-created with backoff',
        { error: describeError(error) },
      );
      deps.alert?.(error);
    },
  });
}
