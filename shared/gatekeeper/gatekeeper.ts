import type { Notice } from '../chat/notice.js';
import { type Decision, decide } from '../policy/decide.js';
import type { SenderFacts } from '../policy/facts.js';
import type { Policy } from '../policy/policy.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Claim, IdempotencyStore } from '../store/idempotency-store.js';
import type { Telemetry } from '../telemetry.js';
import type { RemovalResult, UcwaClient } from '../ucwa/client.js';
import { LinkNotOfferedError, UcwaError } from '../ucwa/errors.js';
import type { ChannelEvent } from '../ucwa/event-channel.js';
import { hrefOf } from '../ucwa/links.js';
import type { Invitation, InvitationRel, Participant } from '../ucwa/schemas.js';
import { BarrierBatch } from './barrier-batch.js';
import { isTransient } from './failures.js';
import {
  type EventMeaning,
  embeddedSender,
  firstMessageOf,
  meaningOf,
  modalityOf,
  senderFacts,
} from './inspect.js';
import type { Logger } from './logger.js';

export type Mode = 'enforce' | 'dry-run';

export interface GatekeeperDeps {
  ucwa: UcwaClient;
  policy: Policy;
  mode: Mode;
  idempotency: IdempotencyStore;
  audit: AuditLog;
  outbox: { enqueue(notice: Notice): Promise<void> };
  telemetry: Telemetry;
  log: Logger;
  /** UCWA round trips so far (a counter), for the per-event metric. */
  roundTrips?: () => number;
  now?: () => Date;
}

/** Where events came from: the server's own channel, or a relay whose pushed data is never trusted for actions. */
export interface EventSource {
  trusted: boolean;
  /** When the batch arrived, for event-to-action latency. */
  receivedAt: number;
}

export interface HandleResult {
  handled: number;
  rejected: number;
  ignored: number;
}

/** An inspection without side effects (`inspect` function, digest). */
export interface Inspection {
  subject: 'invitation' | 'lobby';
  href: string;
  sender: SenderFacts;
  invitation?: Notice['invitation'];
  decision: Decision;
  mode: Mode;
}

/** One eject or reject, as the client batches them. */
type Removal = { participant: Participant; verb: 'eject' | 'reject' };

/** After a `done` outcome, a participant seen again this much later knocked again (brief §9.2): act anew. */
const REKNOCK_AFTER_MS = 30_000;

/**
 * The gatekeeper's use cases over one batch of UCWA events: inspect invitations and lobby arrivals, decide
 * with the policy, act once (idempotency keys survive crashes and replays), audit, and queue chat notices.
 * A transient failure (network, 5xx, throttling, storage) propagates so the batch is retried; a permanent one
 * (malformed payload, missing capability) is logged, counted and skipped, so one bad event never blocks the rest.
 */
export class Gatekeeper {
  private readonly now: () => Date;

  constructor(private readonly deps: GatekeeperDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Invitations are handled in order; lobby participants concurrently (each participant's events in order),
   * with the participants that must be read fetched in one batch and their removals posted in one batch.
   */
  async handleEvents(events: readonly ChannelEvent[], source: EventSource): Promise<HandleResult> {
    const result: HandleResult = { handled: 0, rejected: 0, ignored: 0 };
    const tripsBefore = this.deps.roundTrips?.() ?? 0;
    const invitations: { event: ChannelEvent; meaning: Extract<EventMeaning, { kind: 'invitation' }> }[] = [];
    const lobby = new Map<
      string,
      { event: ChannelEvent; meaning: Extract<EventMeaning, { kind: 'lobby' }> }[]
    >();
    for (const event of events) {
      let meaning: EventMeaning;
      try {
        meaning = meaningOf(event);
      } catch (error) {
        this.reject(event, error);
        result.rejected++;
        continue;
      }
      if (meaning.kind === 'invitation') invitations.push({ event, meaning });
      else if (meaning.kind === 'lobby') {
        lobby.set(meaning.participantHref, [
          ...(lobby.get(meaning.participantHref) ?? []),
          { event, meaning },
        ]);
      } else result.ignored++;
    }

    const failures: unknown[] = [];
    const settle = async (event: ChannelEvent, work: () => Promise<void>) => {
      try {
        await work();
        result.handled++;
      } catch (error) {
        if (isTransient(error) || (error instanceof UcwaError && error.applicationGone)) failures.push(error);
        else {
          this.reject(event, error);
          result.rejected++;
        }
      }
    };

    // The channel's embedded participant is the server's current view; anything else is (re-)read first.
    const toRead = [...lobby.values()].flatMap((group) =>
      group.some(({ meaning }) => !(source.trusted && meaning.embedded))
        ? [group[0]?.meaning.participantHref ?? '']
        : [],
    );
    const fresh = new Map<string, Participant | undefined>();
    if (toRead.length > 0) {
      for (const read of await this.deps.ucwa.getMany('participant', toRead)) {
        if (read.ok) fresh.set(read.href, read.resource);
        else if (read.error.action === 'target-gone') fresh.set(read.href, undefined);
        else throw read.error;
      }
    }
    const removals = new BarrierBatch((items: Removal[]) => this.deps.ucwa.removeParticipants(items));
    await Promise.all([
      (async () => {
        for (const { event, meaning } of invitations)
          await settle(event, () => this.onInvitation(meaning, source));
      })(),
      ...[...lobby.values()].map((group) =>
        removals.worker(async (submit) => {
          for (const { event, meaning } of group) {
            await settle(event, async () => {
              const participant =
                source.trusted && meaning.embedded
                  ? meaning.embedded
                  : fresh.get(this.deps.ucwa.resolve(meaning.participantHref));
              if (participant) {
                await this.guard(
                  participant,
                  meaning.participantHref,
                  meaning.conversationHref,
                  source.receivedAt,
                  submit,
                );
              } else {
                await this.reportActed(meaning.participantHref);
              }
            });
          }
        }),
      ),
    ]);
    if (failures.length > 0) throw failures[0];
    if (result.handled > 0 && this.deps.roundTrips) {
      this.deps.telemetry.metric(
        'UcwaRoundTripsPerEvent',
        (this.deps.roundTrips() - tripsBefore) / result.handled,
      );
    }
    return result;
  }

  /** Inspect an invitation or participant href and say what the policy would do, without side effects. */
  async inspect(href: string): Promise<Inspection> {
    const isParticipant = /\/participants\/[^/]+$/.test(new URL(href).pathname);
    if (isParticipant) {
      const participant = await this.deps.ucwa.get('participant', href);
      const sender = senderFacts(participant);
      return {
        subject: 'lobby',
        href,
        sender,
        decision: decide(this.deps.policy, { kind: 'lobby', participant: sender }),
        mode: this.deps.mode,
      };
    }
    const invitation = await this.deps.ucwa.get('invitation', href);
    const rel = (invitation.rel ?? 'messagingInvitation') as InvitationRel;
    const sender = await this.senderOf(invitation);
    const modality = modalityOf(rel);
    return {
      subject: 'invitation',
      href,
      sender,
      invitation: this.invitationSummary(invitation, modality),
      decision: decide(this.deps.policy, { kind: 'invitation', modality, sender }),
      mode: this.deps.mode,
    };
  }

  // --- invitations --------------------------------------------------------------------------------------

  private async onInvitation(meaning: Extract<EventMeaning, { kind: 'invitation' }>, source: EventSource) {
    const { ucwa, policy, mode } = this.deps;
    // The started event's embedded invitation carries accept/decline, which later updates may drop (brief §6.1).
    const invitation =
      source.trusted && meaning.embedded ? meaning.embedded : await ucwa.get(meaning.rel, meaning.href);
    const key = `invitation|${hrefOf(invitation, 'self') ? ucwa.resolve(hrefOf(invitation, 'self') ?? '') : meaning.href}|${invitation.operationId ?? ''}`;
    const claim = await this.deps.idempotency.claim(key, this.now());
    if (claim.kind !== 'claimed') return;

    const modality = modalityOf(meaning.rel);
    // A transient failure before anything was done releases the claim, so the re-read batch retries at once.
    const sender = await this.senderOf(invitation).catch(async (error: unknown) => {
      if (!claim.acted && isTransient(error)) await this.deps.idempotency.abandon(key, claim.etag);
      throw error;
    });
    const decision = decide(policy, { kind: 'invitation', modality, sender });
    let outcome: NonNullable<Notice['outcome']> = { status: 'done' };
    let etag = claim.etag;
    if (claim.acted) {
      outcome = actedOutcome(claim.acted);
    } else if (decision.action === 'accept' || decision.action === 'decline') {
      outcome = await this.actOnInvitation(invitation, decision.action).catch(async (error: unknown) => {
        // Failed before taking effect (or unknown): release the claim so the re-read batch retries at once.
        if (isTransient(error)) await this.deps.idempotency.abandon(key, claim.etag);
        throw error;
      });
      etag = await this.deps.idempotency.recordAction(key, etag, outcome.status, outcome.detail);
    }
    this.deps.telemetry.event('InvitationInspected', {
      modality,
      sourceNetwork: sender.sourceNetwork ?? 'Unknown',
      anonymous: String(sender.anonymous ?? false),
      action: decision.action,
      mode,
    });
    await this.conclude({
      key,
      etag,
      noticeId: key,
      subject: 'invitation',
      participant: sender.uri ?? '',
      facts: sender,
      decision,
      outcome,
      notify: decision.notify,
      invitation: this.invitationSummary(invitation, modality),
    });
  }

  private async actOnInvitation(
    invitation: Invitation,
    action: 'accept' | 'decline',
  ): Promise<NonNullable<Notice['outcome']>> {
    if (!hrefOf(invitation, action))
      return { status: 'not-permitted', detail: `the invitation offers no ${action} link` };
    if (this.deps.mode === 'dry-run') return { status: 'would-do' };
    try {
      if (action === 'accept') await this.deps.ucwa.accept(invitation);
      else await this.deps.ucwa.decline(invitation);
      return { status: 'done' };
    } catch (error) {
      if (error instanceof UcwaError && error.action === 'target-gone') {
        return { status: 'already-left', detail: 'the invitation was gone' };
      }
      if (isTransient(error)) throw error;
      return { status: 'failed', detail: errorText(error) };
    }
  }

  private async senderOf(invitation: Invitation): Promise<SenderFacts> {
    const embedded = embeddedSender(invitation);
    if (embedded) return senderFacts(embedded);
    const from = hrefOf(invitation, 'from');
    if (!from) return {};
    try {
      return senderFacts(await this.deps.ucwa.get('from', from));
    } catch (error) {
      if (error instanceof UcwaError && error.action === 'target-gone') return {};
      throw error;
    }
  }

  private invitationSummary(invitation: Invitation, modality: string): NonNullable<Notice['invitation']> {
    const firstMessage = firstMessageOf(invitation);
    return {
      modality,
      ...(invitation.subject ? { subject: invitation.subject } : {}),
      ...(invitation.importance ? { importance: invitation.importance } : {}),
      ...(firstMessage ? { firstMessage } : {}),
    };
  }

  // --- lobby ----------------------------------------------------------------------------------------------

  /**
   * Decide about one lobby participant and act once. `reread` fetches the participant's current state; it is
   * used whenever an earlier attempt may already have acted (a taken-over or re-opened claim).
   */
  async guard(
    seen: Participant,
    participantHref: string,
    conversationHref: string,
    receivedAt: number,
    remove: (removal: Removal) => Promise<RemovalResult> = (removal) =>
      this.deps.ucwa.removeParticipants([removal]).then(([result]) => result ?? { ok: true }),
  ): Promise<void> {
    const { policy, mode } = this.deps;
    const facts = senderFacts(seen);
    const decision = decide(policy, { kind: 'lobby', participant: facts });
    if (decision.action !== 'eject') {
      await this.recordOnce(
        `lobby|${participantHref}|${decision.action}`,
        facts,
        decision,
        conversationHref,
        participantHref,
        {
          status: decision.action === 'summarize' ? 'done' : 'skipped',
        },
      );
      return;
    }

    const key = `eject|${participantHref}`;
    let claim: Claim = await this.deps.idempotency.claim(key, this.now());
    let participant: Participant | undefined = seen;
    if (claim.kind === 'busy') return;
    if (claim.kind === 'done') {
      // A replayed event (nothing to do), the same participant knocking again after an earlier removal, or
      // the account having become a leader since it could not act.
      const age = this.now().getTime() - Date.parse(claim.doneAt);
      const knockedAgain =
        (claim.outcome === 'done' || claim.outcome === 'already-left') && age >= REKNOCK_AFTER_MS;
      const nowPermitted = claim.outcome === 'not-permitted' && offersRemoval(seen);
      if (mode === 'dry-run' || !(knockedAgain || nowPermitted)) return;
      participant = await this.reread(participantHref);
      if (!participant) return;
      claim = await this.deps.idempotency.takeOver(key, claim.etag, this.now());
      if (claim.kind !== 'claimed') return;
    } else if (claim.takenOver && !claim.acted) {
      // A crashed attempt may have acted already: trust only the server's current view.
      participant = await this.reread(participantHref);
    }
    if (claim.kind !== 'claimed') return;

    let etag = claim.etag;
    let outcome: NonNullable<Notice['outcome']>;
    let finalFacts = facts;
    if (claim.acted) {
      // An earlier run acted and failed before reporting: report what it did, with the facts it saw.
      outcome = actedOutcome(claim.acted);
      finalFacts = reportOf(claim.acted)?.facts ?? facts;
    } else {
      outcome = participant
        ? await this.eject(participant, conversationHref, claim.etag, key, remove)
        : { status: 'already-left', detail: 'the participant had already left' };
      if (participant) finalFacts = senderFacts(participant);
      const report: ActedReport = { facts: finalFacts, decision };
      etag = await this.deps.idempotency.recordAction(
        key,
        etag,
        outcome.status,
        outcome.detail,
        JSON.stringify(report),
      );
    }
    this.deps.telemetry.event(
      outcome.status === 'failed' ? 'ActionFailed' : 'ParticipantEjected',
      { outcome: outcome.status, mode, rule: decision.rule, sourceNetwork: facts.sourceNetwork ?? 'Unknown' },
      { latencyMs: Date.now() - receivedAt },
    );
    if (outcome.status === 'done') this.deps.telemetry.metric('EventToActionMs', Date.now() - receivedAt);
    // "Not a leader here" is said once per meeting, however many guests knock.
    const repeated =
      outcome.status === 'not-permitted' && !(await this.firstTime(`no-rights|${conversationHref}`));
    await this.conclude({
      key,
      etag,
      noticeId: `${key}|${claim.claimedAt}`,
      subject: 'lobby',
      meeting: conversationHref,
      participant: participantHref,
      facts: finalFacts,
      decision,
      outcome,
      notify: !repeated,
    });
  }

  /**
   * A participant gone from UCWA may still have an ejection that was done but not reported (a failure between
   * the two): report it now from what was recorded with it.
   */
  private async reportActed(participantHref: string): Promise<void> {
    const key = `eject|${participantHref}`;
    if ((await this.deps.idempotency.peek(key)) !== 'acted') return;
    const claim = await this.deps.idempotency.claim(key, this.now());
    if (claim.kind !== 'claimed' || !claim.acted) return;
    const report = reportOf(claim.acted);
    const meeting = participantHref.replace(/\/participants\/[^/]+$/, '');
    await this.conclude({
      key,
      etag: claim.etag,
      noticeId: `${key}|${claim.claimedAt}`,
      subject: 'lobby',
      meeting,
      participant: participantHref,
      facts: report?.facts ?? {},
      decision: report?.decision ?? {
        action: 'eject',
        rule: 'unknown',
        reason: 'recorded before a failure',
        notify: true,
      },
      outcome: actedOutcome(claim.acted),
      notify: true,
    });
  }

  /** eject, or reject while still in the lobby; neither offered means the account is not a leader there. */
  private async eject(
    participant: Participant,
    conversationHref: string,
    etag: string,
    key: string,
    remove: (removal: Removal) => Promise<RemovalResult>,
  ): Promise<NonNullable<Notice['outcome']>> {
    const verb = removalVerb(participant);
    if (!verb) {
      return {
        status: 'not-permitted',
        detail: `no eject or reject link: the gatekeeper is not a leader of ${conversationHref}`,
      };
    }
    if (this.deps.mode === 'dry-run') return { status: 'would-do', detail: `would ${verb}` };
    try {
      const result = await remove({ participant, verb });
      if (!result.ok) throw result.error;
      return { status: 'done', detail: verb === 'eject' ? 'ejected' : 'rejected from the lobby' };
    } catch (error) {
      if (error instanceof UcwaError && error.action === 'target-gone') {
        return { status: 'already-left', detail: 'the participant had already left' };
      }
      if (error instanceof LinkNotOfferedError) return { status: 'not-permitted', detail: error.message };
      if (isTransient(error)) {
        await this.deps.idempotency.abandon(key, etag);
        throw error;
      }
      return { status: 'failed', detail: errorText(error) };
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

  /** Record a non-action decision once per participant and decision (quiet unless the policy notifies). */
  private async recordOnce(
    key: string,
    facts: SenderFacts,
    decision: Decision,
    conversationHref: string,
    participantHref: string,
    outcome: NonNullable<Notice['outcome']>,
  ): Promise<void> {
    const claim = await this.deps.idempotency.claim(key, this.now());
    if (claim.kind !== 'claimed') return;
    await this.conclude({
      key,
      etag: claim.etag,
      noticeId: key,
      subject: 'lobby',
      meeting: conversationHref,
      participant: participantHref,
      facts,
      decision,
      outcome,
      notify: decision.notify,
    });
  }

  /**
   * The end of every handled claim: the audit row, the chat notice (through the outbox), then the claim's
   * completion — in that order, so a crash in between repeats the row or the notice (both idempotent by key),
   * never loses them.
   */
  private async conclude(c: {
    key: string;
    etag: string;
    noticeId: string;
    subject: 'invitation' | 'lobby';
    meeting?: string;
    participant: string;
    facts: SenderFacts;
    decision: Decision;
    outcome: NonNullable<Notice['outcome']>;
    notify: boolean;
    invitation?: Notice['invitation'];
  }): Promise<void> {
    const { mode } = this.deps;
    await this.deps.audit.record({
      at: this.now(),
      key: c.key,
      subject: c.subject,
      ...(c.meeting ? { meeting: c.meeting } : {}),
      participant: c.participant,
      facts: auditFacts(c.facts),
      rule: c.decision.rule,
      decision: c.decision.action,
      mode,
      outcome: c.outcome.status,
      ...(c.outcome.detail ? { detail: c.outcome.detail } : {}),
    });
    if (c.notify) {
      await this.deps.outbox.enqueue({
        id: c.noticeId,
        kind: c.subject,
        at: this.now().toISOString(),
        mode,
        sender: c.facts,
        ...(c.invitation ? { invitation: c.invitation } : {}),
        ...(c.meeting ? { meeting: { uri: c.meeting } } : {}),
        decision: { action: c.decision.action, rule: c.decision.rule, reason: c.decision.reason },
        outcome: c.outcome,
      });
    }
    await this.deps.idempotency.complete(c.key, c.etag, c.outcome.status, this.now());
  }

  /** True the first time `key` is seen (e.g. one "not a leader" notice per meeting). */
  private async firstTime(key: string): Promise<boolean> {
    const claim = await this.deps.idempotency.claim(key, this.now());
    if (claim.kind !== 'claimed') return false;
    await this.deps.idempotency.complete(key, claim.etag, 'noted', this.now());
    return true;
  }

  private reject(event: ChannelEvent, error: unknown): void {
    this.deps.log.warn('Rejected a UCWA event', {
      rel: event.link.rel,
      type: event.type,
      error: errorText(error),
    });
    this.deps.telemetry.event('EventRejected', {
      rel: event.link.rel,
      type: String(event.type),
      error: errorName(error),
    });
  }
}

/** What an acted claim keeps for reporting after a failure. */
interface ActedReport {
  facts: SenderFacts;
  decision: Decision;
}

function reportOf(acted: { report?: string }): ActedReport | undefined {
  if (!acted.report) return undefined;
  try {
    return JSON.parse(acted.report) as ActedReport;
  } catch {
    return undefined;
  }
}

function actedOutcome(acted: { outcome: string; detail?: string }): NonNullable<Notice['outcome']> {
  return {
    status: acted.outcome as NonNullable<Notice['outcome']>['status'],
    ...(acted.detail ? { detail: acted.detail } : {}),
  };
}

function removalVerb(participant: Participant): 'eject' | 'reject' | undefined {
  return hrefOf(participant, 'eject') ? 'eject' : hrefOf(participant, 'reject') ? 'reject' : undefined;
}

function offersRemoval(participant: Participant): boolean {
  return removalVerb(participant) !== undefined;
}

/** Audit facts: what the server said about the participant, without phone numbers. */
function auditFacts(facts: SenderFacts): Record<string, unknown> {
  const { workPhoneNumber: _w, otherPhoneNumber: _o, ...rest } = facts;
  return rest;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}
