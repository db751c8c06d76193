import { randomUUID } from 'node:crypto';
import type { InvitationSummary } from '../chat/notice.js';
import { describeError } from '../lib/describe-error.js';
import { type Decision, decide } from '../policy/decide.js';
import type { SenderFacts } from '../policy/facts.js';
import type { Policy } from '../policy/policy.js';
import { showsFirstMessage } from '../policy/privacy.js';
import type { Telemetry } from '../telemetry.js';
import type { ChannelEvent } from '../ucwa/event-channel.js';
import type { InvitationRel } from '../ucwa/schemas.js';
import { effectKind } from './effect-keys.js';
import { type EffectResult, EffectRunner, reportOf } from './effect-runner.js';
import { type EventSource, type HandleResult, handleEventBatch } from './event-batch.js';
import { isTransient } from './failures.js';
import { InvitationGuard, invitationSummary, modalityOf } from './invitation-guard.js';
import { LobbyGuard, type Sighting } from './lobby-guard.js';
import type { Logger } from './logger.js';
import { MeetingFactsReader } from './meeting-facts.js';
import type { Mode } from './outcome.js';
import type { AuditSink, ClaimStore, GatekeeperUcwa, LobbiesNow, NoticeQueue } from './ports.js';
import { senderFacts } from './sender-facts.js';

export type { EventSource, HandleResult } from './event-batch.js';
export type { Mode } from './outcome.js';

export interface GatekeeperDeps {
  ucwa: GatekeeperUcwa;
  policy: Policy;
  mode: Mode;
  claims: ClaimStore;
  audit: AuditSink;
  outbox: NoticeQueue;
  telemetry: Telemetry;
  log: Logger;
  /** UCWA round trips so far (a counter), for the per-event metric. */
  roundTrips?: () => number;
  now?: () => Date;
  /** Names this run in the claims it holds; default a random id per process. */
  owner?: string;
  /** A claim left pending this long by another run is taken over (that run died). Default 60 s. */
  staleAfterMs?: number;
  /** Removals the server refuses are tried this often in all before one alert. Default 5. */
  maxAttempts?: number;
  /** Everyone waiting in the current application's lobbies (undefined while unknown): see LobbyGuardDeps. */
  waitingGuests?: () => Promise<LobbiesNow | undefined>;
}

/** What the gatekeeper sees and would decide for one href, without acting (the `inspect` HTTP function). */
export interface DecisionPreview {
  subject: 'invitation' | 'lobby';
  href: string;
  sender: SenderFacts;
  invitation?: InvitationSummary;
  decision: Decision;
  mode: Mode;
}

export interface RecoveryResult {
  resumed: number;
  failed: number;
}

/**
 * The gatekeeper's use cases over UCWA events: summarise invitations and guard lobbies, each effect once
 * through its claim (effect-runner.ts), reported with an audit row and a chat notice. This class only wires
 * the parts together; each lives in its own module.
 */
export class Gatekeeper {
  private readonly invitations: InvitationGuard;
  private readonly lobby: LobbyGuard;
  private readonly staleAfterMs: number;
  private readonly now: () => Date;

  constructor(private readonly deps: GatekeeperDeps) {
    this.now = deps.now ?? (() => new Date());
    this.staleAfterMs = deps.staleAfterMs ?? 60_000;
    const effects = new EffectRunner({
      ...deps,
      now: this.now,
      owner: deps.owner ?? randomUUID(),
      staleAfterMs: this.staleAfterMs,
      maxAttempts: deps.maxAttempts ?? 5,
      meetings: new MeetingFactsReader(deps.ucwa, () => this.now().getTime()),
    });
    const common = {
      ucwa: deps.ucwa,
      policy: deps.policy,
      mode: deps.mode,
      effects,
      telemetry: deps.telemetry,
    };
    this.invitations = new InvitationGuard(common);
    this.lobby = new LobbyGuard({
      ...common,
      claims: deps.claims,
      now: this.now,
      ...(deps.waitingGuests ? { waiting: deps.waitingGuests } : {}),
    });
  }

  handleEvents(
    events: readonly ChannelEvent[],
    source: EventSource,
    unreadable: readonly Error[] = [],
  ): Promise<HandleResult> {
    return handleEventBatch(
      { ...this.deps, invitations: this.invitations, lobby: this.lobby },
      events,
      source,
      unreadable,
    );
  }

  /** Guard one lobby participant (the sweep). */
  guard(sighting: Sighting): Promise<EffectResult> {
    return this.lobby.guard(sighting);
  }

  /**
   * Finish every effect a run left unfinished (it died, or gave up on an outage) once its claim is older than
   * the take-over time: removals are re-read and done or reported, summaries reported. Bounded per call.
   */
  async recover(limit = 50): Promise<RecoveryResult> {
    const result: RecoveryResult = { resumed: 0, failed: 0 };
    const before = new Date(this.now().getTime() - this.staleAfterMs);
    let outage: unknown;
    for (const record of await this.deps.claims.unfinished(before, limit)) {
      const report = reportOf(record);
      if (!report) continue;
      try {
        const kind = effectKind(record.key);
        if (kind === 'removal') await this.lobby.resume(record, report, this.now().getTime());
        else await this.invitations.resume(record.key, report);
        result.resumed++;
      } catch (error) {
        result.failed++;
        // One claim's outage is that claim's: the others are finished now, and the caller still hears of it.
        if (isTransient(error)) outage ??= error;
        else this.deps.log.warn('Could not finish an unfinished effect', { error: describeError(error) });
      }
    }
    if (outage !== undefined) throw outage;
    return result;
  }

  /** Read an invitation or participant href and say what the policy would do, without side effects. */
  async preview(href: string): Promise<DecisionPreview> {
    const { ucwa, policy, mode } = this.deps;
    if (/\/participants\/[^/]+$/.test(new URL(href).pathname)) {
      const sender = senderFacts(await ucwa.get('participant', href));
      return {
        subject: 'lobby',
        href,
        sender,
        decision: decide(policy, { kind: 'lobby', participant: sender }),
        mode,
      };
    }
    const invitation = await ucwa.get('invitation', href);
    const rel = (invitation.rel ?? 'messagingInvitation') as InvitationRel;
    const sender = await this.invitations.senderOf(invitation);
    const modality = modalityOf(rel);
    return {
      subject: 'invitation',
      href,
      sender,
      invitation: invitationSummary(invitation, modality, showsFirstMessage(policy, sender)),
      decision: decide(policy, { kind: 'invitation', modality, sender }),
      mode,
    };
  }
}
