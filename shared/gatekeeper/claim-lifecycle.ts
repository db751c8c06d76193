import { type Mode, type OutcomeStatus, SERVER_REFUSED } from './outcome.js';
import type { ClaimFields, ClaimRecord } from './ports.js';
import { LED_NOWHERE } from './removal-outcomes.js';

/**
 * The claim lifecycle of one effect (an ejection, a summary), as a pure function of what the store holds,
 * who asks and when. The runner (effect-runner.ts) does the I/O each step names.
 *
 * ```
 *   (none) ──open──► pending(me) ──act──► acted ──conclude──► done
 *                      │   ▲                 ▲
 *      failure: release│   │resume own /     │ any run reports an acted claim at once
 *                      ▼   │take over stale  │
 *                    pending('' | dead run) ─┘
 *   done ──knocked again / now permitted──► pending(me), a new effect
 *   pending after a refused removal ──attempts < max──► retried later; at max ──► done(failed) + one alert
 * ```
 */

export interface LifecycleContext {
  /** This run. */
  owner: string;
  now: number;
  mode: Mode;
  /** A pending claim untouched this long belongs to a run that died. */
  staleAfterMs: number;
  /** Present for removals: what the server's current view of the participant says. */
  removal?: {
    offersRemoval: boolean;
    /** After a completed removal, the same participant seen this much later knocked again. */
    reknockAfterMs: number;
  };
}

export type Step =
  /** Act. `reread`: an earlier attempt may have acted, so only the server's current view counts. */
  | { kind: 'act'; reread: boolean; write?: Partial<ClaimFields> }
  /** The effect happened and is recorded; only the reporting is left. */
  | { kind: 'report'; write: Partial<ClaimFields> }
  | { kind: 'skip'; reason: 'done' | 'busy' };

/** What to do with a claim that `open` found (`created` false) or made (`created` true). */
export function nextStep(record: ClaimRecord, created: boolean, ctx: LifecycleContext): Step {
  if (created) return { kind: 'act', reread: false };
  const touch = { owner: ctx.owner, touchedAt: iso(ctx.now) };
  switch (record.state) {
    case 'acted':
      return { kind: 'report', write: touch };
    case 'pending': {
      if (record.owner === ctx.owner) return { kind: 'act', reread: true, write: touch };
      const stale = ctx.now - Date.parse(record.touchedAt) >= ctx.staleAfterMs;
      if (record.owner === '' || stale || Number.isNaN(Date.parse(record.touchedAt)))
        return { kind: 'act', reread: true, write: touch };
      return { kind: 'skip', reason: 'busy' };
    }
    case 'done':
      return reopensAsNewEffect(record, ctx) ? { kind: 'act', reread: true, write: fresh(ctx) } : skipDone;
  }
}

const skipDone: Step = { kind: 'skip', reason: 'done' };

/**
 * A done removal is re-opened only when the participant is back (knocked again after being removed or
 * leaving) or the account can now act where it could not. Never in dry-run: nothing was done to undo.
 */
function reopensAsNewEffect(record: ClaimRecord, ctx: LifecycleContext): boolean {
  if (!ctx.removal || ctx.mode === 'dry-run') return false;
  const age = ctx.now - Date.parse(record.doneAt ?? record.touchedAt);
  const gone =
    record.outcome === 'done' ||
    record.outcome === 'already-left' ||
    (record.outcome === 'skipped' && LED_NOWHERE.has(record.detail));
  if (gone && age >= ctx.removal.reknockAfterMs) return true;
  // Not a leader then, a leader now: act. A removal the server refused (403) stays refused.
  const refused = record.detail?.startsWith(SERVER_REFUSED) ?? false;
  return record.outcome === 'not-permitted' && ctx.removal.offersRemoval && !refused;
}

/** The fields of a claim that starts a new effect now. */
export function fresh(ctx: Pick<LifecycleContext, 'owner' | 'now'>, report?: string): ClaimFields {
  return {
    state: 'pending',
    owner: ctx.owner,
    effectAt: iso(ctx.now),
    touchedAt: iso(ctx.now),
    attempts: 0,
    sentAt: '',
    ...(report === undefined ? {} : { report }),
  };
}

/** Just before a removal request goes out: whoever finishes the claim knows one may have taken effect. */
export function sending(now: number): Partial<ClaimFields> {
  return { sentAt: iso(now), touchedAt: iso(now) };
}

/** After the effect happened: record it, so any run can report it without acting again. */
export function acted(outcome: OutcomeStatus, detail: string | undefined, now: number): Partial<ClaimFields> {
  return { state: 'acted', outcome, detail: detail ?? '', touchedAt: iso(now) };
}

/** After the reporting: done. */
export function completed(outcome: OutcomeStatus, now: number): Partial<ClaimFields> {
  return { state: 'done', outcome, doneAt: iso(now), touchedAt: iso(now) };
}

/** After a failure that may or may not have taken effect: any run may take over at once (and re-read). */
export function released(now: number): Partial<ClaimFields> {
  return { owner: '', touchedAt: iso(now) };
}

/**
 * After the server refused a removal (not an outage): try again later, up to `maxAttempts`, then give up
 * and say so once. Fail closed: the guest is never left waiting because of one refusal.
 */
export function afterRefusal(
  record: Pick<ClaimRecord, 'attempts'>,
  detail: string,
  now: number,
  maxAttempts: number,
): { kind: 'retry-later'; write: Partial<ClaimFields> } | { kind: 'give-up' } {
  const attempts = record.attempts + 1;
  if (attempts >= maxAttempts) return { kind: 'give-up' };
  return { kind: 'retry-later', write: { owner: '', attempts, detail, touchedAt: iso(now) } };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
