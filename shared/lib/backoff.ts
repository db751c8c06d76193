/** A doubling pause: `baseMs` first, twice that each time after, never more than `maxMs`. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/**
 * How the pause is spread: `none` exactly; `full` anywhere in [0, pause) — many clients retrying at once
 * spread out; `equal` in [pause/2, pause) — at least half, so a recovering server is never hammered.
 */
export type Jitter = 'none' | 'full' | 'equal';

/** The pause before retry `attempt` (counting from 0); `random` in [0, 1) is drawn only for jitter. */
export function backoffDelay(
  backoff: Backoff,
  attempt: number,
  jitter: Jitter,
  random: () => number = Math.random,
): number {
  const pause = Math.min(backoff.maxMs, backoff.baseMs * 2 ** attempt);
  switch (jitter) {
    case 'none':
      return pause;
    case 'full':
      return Math.floor(random() * pause);
    case 'equal':
      return Math.floor(pause / 2 + (random() * pause) / 2);
  }
}
