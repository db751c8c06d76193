import { decide } from '../policy/decide.js';
import type { Policy } from '../policy/policy.js';
import type { Telemetry } from '../telemetry.js';
import type { RemovalResult } from '../ucwa/client.js';
import { LinkNotOfferedError, UcwaError } from '../ucwa/errors.js';
import { hrefOf } from '../ucwa/links.js';
import type { Participant } from '../ucwa/schemas.js';
import { completed, fresh } from './claim-lifecycle.js';
import type { ClaimReport } from './conclude.js';
import { effectKeys } from './effect-keys.js';
import { type EffectResult, type EffectRunner, type Refused, reportOf } from './effect-runner.js';
import { describeError } from './failures.js';
import { senderFacts } from './inspect.js';
import type { ActionOutcome, Mode } from './outcome.js';
import type { ClaimStore, GatekeeperUcwa } from './ports.js';

/** One eject or reject, as the client batches them. */
export type Removal = { participant: Participant; verb: 'eject' | 'reject' };
export type Remove = (removal: Removal) => Promise<RemovalResult>;

export interface LobbyGuardDeps {
  ucwa: GatekeeperUcwa;
  policy: Policy;
  mode: Mode;
  effects: EffectRunner;
  claims: ClaimStore;
  telemetry: Telemetry;
  now: () => Date;
}

/** After a completed removal, a participant seen again this much later knocked again: act anew. */
export const REKNOCK_AFTER_MS = 30_000;
/** Re-reads and retries of one removal the server refused (409/410/412) before it is tried later. */
const IMMEDIATE_RETRIES = 2;

/** Decide about one lobby participant and act once: remove, or record a quieter decision once. */
export class LobbyGuard {
  constructor(private readonly deps: LobbyGuardDeps) {}

  private readonly removeOne: Remove = (removal) =>
    this.deps.ucwa.removeParticipants([removal]).then(([result]) => result ?? { ok: true });

  async guard(
    seen: Participant,
    participantHref: string,
    conversationHref: string,
    receivedAt: number,
    remove: Remove = this.removeOne,
  ): Promise<EffectResult> {
    // Whether they wait in the lobby is the participant's own word, never the event's (a relay may replay one).
    if (!waitsInLobby(seen)) return this.finishIfUnfinished(participantHref, receivedAt);
    const facts = senderFacts(seen);
    const decision = decide(this.deps.policy, { kind: 'lobby', participant: facts });
    const report: ClaimReport = {
      subject: 'lobby',
      participant: participantHref,
      meeting: conversationHref,
      facts,
      decision,
      notify: decision.notify,
    };
    if (decision.action !== 'eject') {
      return this.deps.effects.run({
        key: effectKeys.lobbyDecision(participantHref, decision.action),
        report,
        sideEffect: false,
        act: async () => ({ status: decision.action === 'summarize' ? 'done' : 'skipped' }),
      });
    }
    return this.removal(seen, report, receivedAt, remove);
  }

  /** The participant is gone: finish a removal an earlier attempt left unreported, if there is one. */
  async finishIfUnfinished(participantHref: string, receivedAt: number): Promise<EffectResult> {
    const record = await this.deps.claims.read(effectKeys.removal(participantHref));
    const report = record && record.state !== 'done' ? reportOf(record) : undefined;
    return report ? this.removal(undefined, report, receivedAt) : 'skipped';
  }

  /** Finish a removal a run left unfinished, from what its claim recorded (the sweep's recovery). */
  async resume(report: ClaimReport, receivedAt: number): Promise<EffectResult> {
    const current = await this.reread(report.participant);
    return this.removal(current, report, receivedAt);
  }

  private async removal(
    seen: Participant | undefined,
    report: ClaimReport,
    receivedAt: number,
    remove: Remove = this.removeOne,
  ): Promise<EffectResult> {
    const { mode, telemetry } = this.deps;
    const href = report.participant;
    let notPermittedBefore = false;
    const result = await this.deps.effects.run({
      key: effectKeys.removal(href),
      report,
      sideEffect: mode === 'enforce',
      removal: {
        offersRemoval: seen ? removalVerb(seen) !== undefined : false,
        reknockAfterMs: REKNOCK_AFTER_MS,
      },
      act: async (reread) => {
        const outcome = await this.remove(reread ? await this.reread(href) : seen, remove);
        if (outcome.status === 'not-permitted' && report.meeting) {
          notPermittedBefore = !(await this.firstTime(effectKeys.noRights(report.meeting)));
        }
        return outcome;
      },
      observed: (outcome) => {
        telemetry.event(
          outcome.status === 'failed' ? 'ActionFailed' : 'ParticipantEjected',
          {
            outcome: outcome.status,
            mode,
            rule: report.decision.rule,
            sourceNetwork: report.facts.sourceNetwork ?? 'Unknown',
          },
          { latencyMs: Date.now() - receivedAt },
        );
        if (outcome.status === 'done') telemetry.metric('EventToActionMs', Date.now() - receivedAt);
        // "Not a leader here" is said once per meeting.
        if (notPermittedBefore) report.notify = false;
      },
    });
    return result;
  }

  /**
   * eject or reject, re-reading and retrying when the server refuses because the participant changed under
   * us (409/410/412). Neither link offered means the account is not a leader there.
   */
  private async remove(first: Participant | undefined, remove: Remove): Promise<ActionOutcome | Refused> {
    let participant = first;
    for (let attempt = 0; ; attempt++) {
      if (!participant) return { status: 'already-left', detail: 'the participant had already left' };
      if (!waitsInLobby(participant))
        return { status: 'skipped', detail: 'no longer waiting in the lobby (admitted, or never there)' };
      // The server's current view decides, not what an event said (the organizer may have admitted them).
      const current = decide(this.deps.policy, { kind: 'lobby', participant: senderFacts(participant) });
      if (current.action !== 'eject')
        return { status: 'skipped', detail: `no longer to remove: ${current.reason}` };
      const verb = removalVerb(participant);
      if (!verb)
        return {
          status: 'not-permitted',
          detail: 'no eject or reject link: the account is not a leader of this meeting',
        };
      if (this.deps.mode === 'dry-run') return { status: 'would-do', detail: `would ${verb}` };
      let result: RemovalResult;
      try {
        result = await remove({ participant, verb });
      } catch (error) {
        if (error instanceof LinkNotOfferedError) return { status: 'not-permitted', detail: error.message };
        throw error;
      }
      if (result.ok)
        return { status: 'done', detail: verb === 'eject' ? 'ejected' : 'rejected from the lobby' };
      const error = result.error;
      if (error.action === 'target-gone')
        return { status: 'already-left', detail: 'the participant had already left' };
      if (error.action !== 'refresh-state') {
        if (isOutage(error)) throw error;
        return { status: 'failed', detail: describeError(error), refused: true };
      }
      if (attempt >= IMMEDIATE_RETRIES)
        return { status: 'failed', detail: describeError(error), refused: true };
      participant = await this.reread(this.deps.ucwa.resolve(hrefOf(participant, 'self') ?? ''));
    }
  }

  private async reread(participantHref: string): Promise<Participant | undefined> {
    try {
      return await this.deps.ucwa.get('participant', participantHref);
    } catch (error) {
      if (error instanceof UcwaError && error.action === 'target-gone') return undefined;
      throw error;
    }
  }

  /** True the first time `key` is seen (one "not a leader" notice per meeting). */
  private async firstTime(key: string): Promise<boolean> {
    const now = this.deps.now().getTime();
    const { created, record } = await this.deps.claims.open(key, fresh({ owner: '', now }));
    if (created) await this.deps.claims.write(record, completed('done', now));
    return created;
  }
}

/** Only `inLobby: true` counts: a participant whose resource does not say so is never removed from a lobby. */
function waitsInLobby(participant: Participant): boolean {
  return participant.inLobby === true;
}

function removalVerb(participant: Participant): 'eject' | 'reject' | undefined {
  return hrefOf(participant, 'eject') ? 'eject' : hrefOf(participant, 'reject') ? 'reject' : undefined;
}

function isOutage(error: UcwaError): boolean {
  return ['retry', 'throttled', 'rediscover', 'reauthenticate', 'recreate-application'].includes(
    error.action,
  );
}
