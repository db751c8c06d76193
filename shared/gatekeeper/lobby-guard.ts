import { describeError } from '../lib/describe-error.js';
import { decide } from '../policy/decide.js';
import type { Policy } from '../policy/policy.js';
import type { Telemetry } from '../telemetry.js';
import type { RemovalResult } from '../ucwa/client.js';
import { LinkNotOfferedError, UcwaError } from '../ucwa/errors.js';
import { hrefOf } from '../ucwa/links.js';
import type { Participant } from '../ucwa/schemas.js';
import { completed, fresh } from './claim-lifecycle.js';
import type { ClaimReport } from './conclude.js';
import { CurrentView } from './current-view.js';
import { effectKeys } from './effect-keys.js';
import {
  type EffectResult,
  type EffectRunner,
  type Refused,
  type RequestMarks,
  reportOf,
} from './effect-runner.js';
import { isTransient, refusalDetail } from './failures.js';
import type { ActionOutcome, Mode } from './outcome.js';
import type { ClaimRecord, ClaimStore, GatekeeperUcwa, LobbiesNow } from './ports.js';
import { ALREADY_LEFT } from './removal-outcomes.js';
import { planRemoval } from './removal-plan.js';
import { senderFacts } from './sender-facts.js';
import { isWhere, type Remove, removalVerb, type Sighting, type Where, whereOf } from './where.js';

export type { Removal, Remove, Sighting } from './where.js';

export interface LobbyGuardDeps {
  ucwa: GatekeeperUcwa;
  policy: Policy;
  mode: Mode;
  effects: EffectRunner;
  claims: ClaimStore;
  telemetry: Telemetry;
  now: () => Date;
  /** Everyone waiting in the current application's lobbies, or undefined while that is not known. */
  waiting?: () => Promise<LobbiesNow | undefined>;
}

/** After a completed removal, a participant seen again this much later knocked again: act anew. */
export const REKNOCK_AFTER_MS = 30_000;
const WHERE_UNKNOWN: Refused = {
  status: 'failed',
  detail: 'gone from this address, and the lobbies it might wait in now cannot be read',
  refused: true,
};
/** Tries while the lobbies cannot be read before a removal whose href shows nobody takes the best guess. */
const WHERE_UNKNOWN_TRIES = 3;
/** Re-reads and retries of one removal the server refused (409/410/412) before it is tried later. */
const IMMEDIATE_RETRIES = 2;

/**
 * Decide about one participant of a meeting — waiting in its lobby, or (when a rule asks) in its roster — and
 * act once: remove (reject from the lobby, eject from the meeting), or record a quieter decision once.
 */
export class LobbyGuard {
  private readonly view: CurrentView;

  constructor(private readonly deps: LobbyGuardDeps) {
    this.view = new CurrentView(deps.ucwa, deps.waiting, deps.claims);
  }

  /** Whether any rule looks at roster arrivals: without one they are not even read. */
  get watchesRoster(): boolean {
    return this.deps.policy.rules.some((rule) => rule.on === 'roster');
  }

  private readonly removeOne: Remove = (removal) =>
    this.deps.ucwa.removeParticipants([removal]).then(([result]) => result ?? { ok: true });

  async guard({
    participant: seen,
    participantHref,
    conversationHref,
    receivedAt,
    remove = this.removeOne,
    openClaim,
    where = 'lobby',
  }: Sighting): Promise<EffectResult> {
    // Where they are is the participant's own word, never the event's (a relay may replay one).
    if (!isWhere(seen, where)) {
      return where === 'lobby' ? this.finishIfUnfinished(participantHref, receivedAt) : 'skipped';
    }
    const facts = senderFacts(seen);
    const decision = decide(this.deps.policy, { kind: where, participant: facts });
    // The roster is guarded only where a rule says so, and only in meetings the account leads.
    if (where === 'roster' && (decision.rule === 'default' || !hrefOf(seen, 'eject'))) return 'skipped';
    const report: ClaimReport = {
      subject: where,
      participant: participantHref,
      meeting: conversationHref,
      facts,
      decision,
      notify: decision.notify,
    };
    if (decision.action !== 'eject') {
      const keyOf = where === 'lobby' ? effectKeys.lobbyDecision : effectKeys.rosterDecision;
      return this.deps.effects.run({
        key: keyOf(participantHref, decision.action),
        report,
        sideEffect: false,
        act: async () => ({ status: decision.action === 'summarize' ? 'done' : 'skipped' }),
        ...(openClaim ? { openClaim } : {}),
      });
    }
    return this.removal(seen, report, receivedAt, {
      remove,
      ...(openClaim ? { openClaim } : {}),
      decided: true,
    });
  }

  /** The participant is gone: finish a removal an earlier attempt left unreported, if there is one. */
  async finishIfUnfinished(participantHref: string, receivedAt: number): Promise<EffectResult> {
    const record = await this.deps.claims.read(effectKeys.removal(participantHref));
    const report = record && record.state !== 'done' ? reportOf(record) : undefined;
    return report ? this.removal(undefined, report, receivedAt) : 'skipped';
  }

  /** The server refused to show the participant (403): said once, as not permitted, never acted on. */
  async refusedRead(participantHref: string, conversationHref: string, where: Where, error: UcwaError) {
    const report: ClaimReport = {
      subject: where,
      participant: participantHref,
      meeting: conversationHref,
      facts: {},
      decision: {
        action: 'ignore',
        rule: 'server-refused',
        reason: 'the server refused to show this participant',
        notify: true,
      },
      notify: true,
    };
    return this.deps.effects.run({
      key: effectKeys.refusedRead(participantHref),
      report,
      sideEffect: false,
      act: async () => ({ status: 'not-permitted', detail: refusalDetail(error) }),
    });
  }

  /** Finish a removal a run left unfinished, from what its claim recorded (the sweep's recovery). */
  async resume(
    record: Pick<ClaimRecord, 'sentAt' | 'effectAt'>,
    report: ClaimReport,
    receivedAt: number,
  ): Promise<EffectResult> {
    if (this.view.underDroppedApplication(report.participant)) {
      // Seen under an application the server has since dropped: that href leads nowhere.
      const outcome = await this.view.nowhere(record, report);
      if (outcome === 'unknown') return 'deferred';
      return this.deps.effects.run({
        key: effectKeys.removal(report.participant),
        report: { ...report, notify: report.notify && outcome.status === 'done' },
        sideEffect: false,
        act: async () => outcome,
      });
    }
    const current = await this.view.reread(report.participant);
    return this.removal(current, report, receivedAt);
  }

  private async removal(
    seen: Participant | undefined,
    report: ClaimReport,
    receivedAt: number,
    /** `decided`: the report's decision was made just now, about `seen`. */
    {
      remove = this.removeOne,
      openClaim,
      decided,
    }: Pick<Sighting, 'remove' | 'openClaim'> & { decided?: boolean } = {},
  ): Promise<EffectResult> {
    const { mode, telemetry } = this.deps;
    const href = report.participant;
    let notPermittedBefore = false;
    const plan = seen && planRemoval(this.deps, seen, whereOf(report), decided ? report.decision : undefined);
    const result = await this.deps.effects.run({
      key: effectKeys.removal(href),
      report,
      sideEffect: mode === 'enforce',
      // Nothing but the claim stands between it and the request: the claim is created marked as sent.
      sendsOnOpen: plan !== undefined && 'verb' in plan,
      ...(openClaim ? { openClaim } : {}),
      removal: {
        offersRemoval: seen ? removalVerb(seen, whereOf(report)) !== undefined : false,
        reknockAfterMs: REKNOCK_AFTER_MS,
      },
      confirmReopen: async () => {
        const current = await this.view.reread(href);
        return current !== undefined && isWhere(current, whereOf(report));
      },
      act: async (reread, record, request) => {
        const current = reread ? await this.view.reread(href) : seen;
        if (!current) return this.leadsNowhere(record, report);
        const outcome = await this.remove(
          { participant: current, plan: current === seen ? plan : undefined },
          whereOf(report),
          remove,
          request,
        );
        // A 404 answer (or a re-read showing nobody) says the same: gone from this href, and the request did
        // nothing.
        if (outcome.status === 'already-left') return this.leadsNowhere({ ...record, sentAt: '' }, report);
        if (outcome.status === 'not-permitted' && report.meeting) {
          notPermittedBefore = !(await this.firstTime(effectKeys.noRights(report.meeting)));
        }
        return outcome;
      },
      observed: (outcome) => {
        const latencyMs = this.deps.now().getTime() - receivedAt;
        telemetry.event(
          outcome.status === 'failed' ? 'ActionFailed' : 'ParticipantEjected',
          {
            outcome: outcome.status,
            mode,
            rule: report.decision.rule,
            sourceNetwork: report.facts.sourceNetwork ?? 'Unknown',
          },
          { latencyMs },
        );
        if (outcome.status === 'done') telemetry.metric('EventToActionMs', latencyMs);
        // "Not a leader here" is said once per meeting; a removal that turned out moot is not news.
        if (notPermittedBefore || outcome.status === 'skipped') report.notify = false;
      },
    });
    return result;
  }

  /**
   * reject (lobby) or eject (meeting), re-reading and retrying when the server refuses because the participant
   * changed under us (409/410/412). No usable link means the account is not a leader there; a 403 is final.
   */
  private async remove(
    /** The participant as first seen, and what that was already found to come to, if it was. */
    first: { participant: Participant | undefined; plan: ReturnType<typeof planRemoval> | undefined },
    where: Where,
    remove: Remove,
    request: RequestMarks,
  ): Promise<ActionOutcome | Refused> {
    let participant = first.participant;
    for (let attempt = 0; ; attempt++) {
      const plan = (attempt === 0 && first.plan) || planRemoval(this.deps, participant, where);
      if (!('verb' in plan)) return plan;
      const { verb } = plan;
      participant = plan.participant;
      let result: RemovalResult;
      await request.sending();
      try {
        result = await remove({ participant, verb });
      } catch (error) {
        if (error instanceof LinkNotOfferedError) return { status: 'not-permitted', detail: error.message };
        // An error answer (a 410 for an expired application, a 503) means the request did nothing; a reset
        // or a timeout leaves it unknown.
        if (error instanceof UcwaError) request.answered();
        throw error;
      }
      if (result.ok)
        return { status: 'done', detail: verb === 'eject' ? 'ejected' : 'rejected from the lobby' };
      request.answered();
      const error = result.error;
      if (error.action === 'target-gone') return ALREADY_LEFT;
      // A 403 about this participant is final: not permitted, never tried again.
      if (error.action === 'not-permitted') return { status: 'not-permitted', detail: refusalDetail(error) };
      if (error.action !== 'refresh-state') {
        if (isTransient(error)) throw error;
        return { status: 'failed', detail: describeError(error), refused: true };
      }
      if (attempt >= IMMEDIATE_RETRIES)
        return { status: 'failed', detail: describeError(error), refused: true };
      participant = await this.view.reread(this.deps.ucwa.resolve(hrefOf(participant, 'self') ?? ''));
    }
  }

  private async leadsNowhere(
    record: Pick<ClaimRecord, 'sentAt' | 'effectAt' | 'attempts'>,
    report: ClaimReport,
  ): Promise<ActionOutcome | Refused> {
    // Not a guess at first: tried again later (recovery). A watched meeting that can never be joined keeps
    // the lobbies unreadable for good, so the last try takes the best guess instead of an alert per guest.
    const lastTry = record.attempts + 1 >= WHERE_UNKNOWN_TRIES;
    const outcome = await this.view.nowhere(record, report, lastTry);
    return outcome === 'unknown' ? WHERE_UNKNOWN : outcome;
  }

  /** True the first time `key` is seen (one "not a leader" notice per meeting). */
  private async firstTime(key: string): Promise<boolean> {
    const now = this.deps.now().getTime();
    const { created, record } = await this.deps.claims.open(key, fresh({ owner: '', now }));
    if (created) await this.deps.claims.write(record, completed('done', now));
    return created;
  }
}
