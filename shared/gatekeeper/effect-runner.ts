import { fitJson } from '../chat/compact.js';
import { describeError } from '../lib/describe-error.js';
import {
  acted,
  afterRefusal,
  fresh,
  type LifecycleContext,
  nextStep,
  released,
  sending,
} from './claim-lifecycle.js';
import { type ClaimReport, type ConcludeDeps, type Conclusion, conclude } from './conclude.js';
import { isRefusedForItem, isTransient, refusalDetail } from './failures.js';
import { type ActionOutcome, storedOutcome } from './outcome.js';
import type { ClaimRecord, ClaimStore } from './ports.js';

/** An outcome the server refused for now (409/410/412 after re-reads): tried again later, up to a bound. */
export interface Refused {
  status: 'failed';
  detail: string;
  refused: true;
}

export interface EffectSpec {
  key: string;
  report: ClaimReport;
  /** Whether acting changes something on the server (then it is recorded before it is reported). */
  sideEffect: boolean;
  removal?: LifecycleContext['removal'];
  /**
   * Perform the effect. `reread`: an earlier attempt may have acted; read the target first. Throws only
   * for outages (the claim is released and the caller retries); anything else is an outcome. A removal
   * calls `request.sending()` just before its request goes out (see `sending` in claim-lifecycle.ts), and
   * `request.answered()` when the server answered it with an error, so it did not take effect.
   */
  act(reread: boolean, record: ClaimRecord, request: RequestMarks): Promise<ActionOutcome | Refused>;
  /**
   * Before a done effect is re-opened as a new one: is the target really back? A replayed event looks like
   * a new knock; only the server's current view may start a second effect.
   */
  confirmReopen?(): Promise<boolean>;
  /** Called once the outcome is known, before it is reported (telemetry). */
  observed?(outcome: ActionOutcome, report: ClaimReport): void;
  /** How the claim is opened; default the store's `open`. A batch opens its guests' claims together. */
  openClaim?: ClaimStore['open'];
  /**
   * The request goes out as soon as the claim is created (a removal of the participant just seen): a new
   * claim then carries `sentAt` from the start, and the first `request.sending()` writes nothing.
   */
  sendsOnOpen?: boolean;
}

/** What an effect tells its claim about the request that performs it. */
export interface RequestMarks {
  sending(): Promise<void>;
  answered(): void;
}

export interface EffectRunnerOptions extends ConcludeDeps {
  /** This run: claims it holds are resumed by its own retries. */
  owner: string;
  staleAfterMs: number;
  /** Refused removals are retried this often in all, then reported as failed with one alert. */
  maxAttempts: number;
}

export type EffectResult = 'concluded' | 'skipped' | 'busy' | 'deferred';

/** Runs effects through their claim lifecycle: never twice, never lost, always reported. */
export class EffectRunner {
  /** Keys this process is working on right now: a second event for the same one waits for the first. */
  private readonly inFlight = new Set<string>();
  /** Effects this run performed but could not record yet: a retry reports them instead of acting again. */
  private readonly performed = new Map<string, ActionOutcome>();

  constructor(private readonly deps: EffectRunnerOptions) {}

  async run(spec: EffectSpec): Promise<EffectResult> {
    if (this.inFlight.has(spec.key)) return 'busy';
    this.inFlight.add(spec.key);
    try {
      return await this.runClaimed(spec);
    } finally {
      this.inFlight.delete(spec.key);
    }
  }

  private async runClaimed(spec: EffectSpec): Promise<EffectResult> {
    const { claims, mode } = this.deps;
    const now = this.deps.now().getTime();
    const ctx: LifecycleContext = {
      owner: this.deps.owner,
      now,
      mode,
      staleAfterMs: this.deps.staleAfterMs,
      ...(spec.removal ? { removal: spec.removal } : {}),
    };
    const initial = fresh(ctx, storedReport(spec.report));
    const open = spec.openClaim ?? ((key, fields) => claims.open(key, fields));
    const opened = await open(spec.key, spec.sendsOnOpen ? { ...initial, ...sending(now) } : initial);
    const step = nextStep(opened.record, opened.created, ctx);
    if (step.kind === 'skip') return step.reason === 'busy' ? 'busy' : 'skipped';
    let record: ClaimRecord | undefined = opened.record;
    if (step.write?.effectAt && spec.confirmReopen && !(await spec.confirmReopen())) return 'skipped';
    if (step.write) {
      record = await claims.write(opened.record, {
        ...step.write,
        // A re-opened effect reports what this run saw.
        ...(step.write.effectAt ? { report: storedReport(spec.report) } : {}),
      });
      if (!record) return 'busy';
    }
    if (step.kind === 'report') {
      const stored = reportOf(record) ?? spec.report;
      return this.finish(spec, {
        record,
        report: stored,
        outcome: storedOutcome(record.outcome, record.detail),
      });
    }

    const memo = `${spec.key}|${record.effectAt}`;
    let outcome = this.performed.get(memo);
    const held: Held = { record, answered: false, premarked: opened.created && spec.sendsOnOpen === true };
    if (!outcome) {
      let result: ActionOutcome | Refused;
      try {
        result = await this.act(spec, step.reread, held);
      } catch (error) {
        if (error instanceof ClaimTaken) return 'busy';
        throw error;
      }
      record = held.record;
      if ('refused' in result) {
        const next = afterRefusal(record, result.detail, this.deps.now().getTime(), this.deps.maxAttempts);
        if (next.kind === 'retry-later') {
          await claims.write(record, { ...next.write, ...unsent(held) });
          return 'deferred';
        }
        outcome = {
          status: 'failed',
          detail: `gave up after ${this.deps.maxAttempts} attempts: ${result.detail}`,
        };
      } else {
        outcome = result;
      }
    }
    if (spec.sideEffect && outcome.status !== 'would-do') {
      // Remembered until reported: if recording fails, this run's retry reports instead of acting again.
      this.performed.set(memo, outcome);
      record = await claims.write(record, {
        ...acted(outcome.status, outcome.detail, this.deps.now().getTime()),
        ...unsent(held),
      });
      if (!record) {
        // Another run took the claim over meanwhile: it re-reads, sees what was done and reports it.
        this.performed.delete(memo);
        return 'busy';
      }
    }
    return this.finish(spec, { record, report: spec.report, outcome }, memo);
  }

  private async act(spec: EffectSpec, reread: boolean, held: Held): Promise<ActionOutcome | Refused> {
    const { claims } = this.deps;
    const request: RequestMarks = {
      sending: async () => {
        // Created with `sentAt` an instant ago, for this very request: nothing to write.
        if (held.premarked) {
          held.premarked = false;
          held.answered = false;
          return;
        }
        const next = await claims.write(held.record, sending(this.deps.now().getTime()));
        // Another run took the claim over: it acts, not this one.
        if (!next) throw new ClaimTaken();
        held.record = next;
        held.answered = false;
      },
      answered: () => {
        held.answered = true;
      },
    };
    try {
      return await spec.act(reread, held.record, request);
    } catch (error) {
      if (error instanceof ClaimTaken) throw error;
      // A 403 about this item is final: reported as not permitted, never tried again.
      if (isRefusedForItem(error)) return { status: 'not-permitted', detail: refusalDetail(error) };
      if (!isTransient(error)) return { status: 'failed', detail: describeError(error), refused: true };
      // Unknown whether it took effect: any run may take over at once, re-reading first. A failed release
      // propagates too; the claim then stays this run's, which its retry resumes.
      await claims.write(held.record, { ...released(this.deps.now().getTime()), ...unsent(held) });
      throw error;
    }
  }

  private async finish(
    spec: EffectSpec,
    { record, report, outcome }: Omit<Conclusion, 'notify'>,
    memo?: string,
  ): Promise<EffectResult> {
    spec.observed?.(outcome, report);
    await conclude(this.deps, {
      record,
      report,
      outcome,
      notify: report.notify || outcome.status === 'failed',
    });
    if (memo) this.performed.delete(memo);
    return 'concluded';
  }
}

interface Held {
  record: ClaimRecord;
  /** The last request was answered with an error: it did not take effect. */
  answered: boolean;
  /** The claim was created with `sentAt` and its request has not been sent yet. */
  premarked: boolean;
}

/**
 * A request the server answered with an error did not happen, nor did one never sent after all: whoever
 * finishes the claim must not say it did.
 */
function unsent(held: Held): { sentAt?: string } {
  return held.answered || held.premarked ? { sentAt: '' } : {};
}

/** The claim changed hands before this run's request went out: the other run acts. */
class ClaimTaken extends Error {}

/** Table properties hold 32 K characters; a sender's name or subject must never make a claim unwritable. */
const MAX_REPORT_JSON = 24_000;

function storedReport(report: ClaimReport): string {
  return fitJson(report, MAX_REPORT_JSON) ?? JSON.stringify({ ...report, facts: {}, invitation: undefined });
}

/** The report stored with a claim, when it parses. */
export function reportOf(record: Pick<ClaimRecord, 'report'>): ClaimReport | undefined {
  if (!record.report) return undefined;
  try {
    return JSON.parse(record.report) as ClaimReport;
  } catch {
    return undefined;
  }
}
