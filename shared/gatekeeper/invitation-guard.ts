import type { InvitationSummary } from '../chat/notice.js';
import { describeError } from '../lib/describe-error.js';
import { decide } from '../policy/decide.js';
import type { SenderFacts } from '../policy/facts.js';
import type { Policy } from '../policy/policy.js';
import { showsFirstMessage } from '../policy/privacy.js';
import type { Telemetry } from '../telemetry.js';
import { decodeDataUri } from '../ucwa/data-uri.js';
import { UcwaError } from '../ucwa/errors.js';
import { hrefOf } from '../ucwa/links.js';
import { orUndefined } from '../ucwa/parse.js';
import type { Invitation, InvitationRel } from '../ucwa/schemas.js';
import type { ClaimReport } from './conclude.js';
import { effectKeys } from './effect-keys.js';
import type { EffectResult, EffectRunner } from './effect-runner.js';
import { isRefusedForItem, isTransient, refusalDetail } from './failures.js';
import type { ActionOutcome, Mode } from './outcome.js';
import type { GatekeeperUcwa } from './ports.js';
import { embeddedSender, senderFacts } from './sender-facts.js';

export interface InvitationGuardDeps {
  ucwa: GatekeeperUcwa;
  policy: Policy;
  mode: Mode;
  effects: EffectRunner;
  telemetry: Telemetry;
}

/** Summarise an incoming invitation once (and accept or decline it when a rule says so). */
export class InvitationGuard {
  constructor(private readonly deps: InvitationGuardDeps) {}

  /** `invitation` as the event embedded it, or read from `href`. */
  async guard(rel: InvitationRel, href: string, embedded: Invitation | undefined): Promise<EffectResult> {
    const { ucwa, policy, mode } = this.deps;
    // Our own startMessaging/joinOnlineMeeting come back as invitations too (docs/ucwa-protocol.md §7.2).
    if (await ucwa.isOwnInvitation(href, embedded?.operationId)) return 'skipped';
    // The started event's embedded invitation carries accept/decline, which later updates may drop.
    let invitation: Invitation;
    try {
      invitation = embedded ?? (await ucwa.get(rel, href));
    } catch (error) {
      if (isRefusedForItem(error)) return this.refused(rel, href, error);
      throw error;
    }
    // What the server said about it decides: read from the server, only an explicit Incoming counts.
    const incoming =
      invitation.direction === 'Incoming' || (embedded !== undefined && invitation.direction === undefined);
    if (!incoming || (await ucwa.isOwnInvitation(href, invitation.operationId))) return 'skipped';
    const self = hrefOf(invitation, 'self');
    const key = effectKeys.invitation(self ? ucwa.resolve(self) : href, invitation.operationId);
    const sender = await this.senderOf(invitation);
    const modality = modalityOf(rel);
    const decision = decide(policy, { kind: 'invitation', modality, sender });
    const report: ClaimReport = {
      subject: 'invitation',
      participant: sender.uri ?? '',
      facts: sender,
      decision,
      notify: decision.notify,
      invitation: invitationSummary(invitation, modality, showsFirstMessage(policy, sender)),
      target: { rel, href },
    };
    const acts = decision.action === 'accept' || decision.action === 'decline';
    return this.deps.effects.run({
      key,
      report,
      sideEffect: acts && mode === 'enforce',
      act: async () =>
        acts ? this.actOn(invitation, decision.action as 'accept' | 'decline') : { status: 'done' },
      observed: () =>
        this.deps.telemetry.event('InvitationInspected', {
          modality,
          sourceNetwork: sender.sourceNetwork ?? 'Unknown',
          anonymous: String(sender.anonymous ?? false),
          action: decision.action,
          mode,
        }),
    });
  }

  /** The server would not show the invitation (403): said once, as not permitted, and never read again. */
  private refused(rel: InvitationRel, href: string, error: UcwaError): Promise<EffectResult> {
    const modality = modalityOf(rel);
    const report: ClaimReport = {
      subject: 'invitation',
      participant: '',
      facts: {},
      decision: {
        action: 'summarize',
        rule: 'server-refused',
        reason: 'the server refused to show this invitation',
        notify: true,
      },
      notify: true,
      invitation: { modality },
      target: { rel, href },
    };
    return this.deps.effects.run({
      key: effectKeys.invitation(href, undefined),
      report,
      sideEffect: false,
      act: async () => ({ status: 'not-permitted', detail: refusalDetail(error) }),
    });
  }

  /** Finish a summary a run left unfinished, from what its claim recorded. */
  async resume(key: string, report: ClaimReport): Promise<EffectResult> {
    return this.deps.effects.run({
      key,
      report,
      sideEffect: false,
      // Whatever accept or decline may have been due, the invitation has long expired: report only.
      act: async () => ({ status: 'done', detail: 'reported after a failure' }),
    });
  }

  private async actOn(invitation: Invitation, action: 'accept' | 'decline'): Promise<ActionOutcome> {
    if (!hrefOf(invitation, action))
      return { status: 'not-permitted', detail: `the invitation offers no ${action} link` };
    if (this.deps.mode === 'dry-run') return { status: 'would-do' };
    try {
      if (action === 'accept') await this.deps.ucwa.accept(invitation);
      else await this.deps.ucwa.decline(invitation);
      return { status: 'done' };
    } catch (error) {
      if (error instanceof UcwaError && error.action === 'target-gone')
        return { status: 'already-left', detail: 'the invitation was gone' };
      if (isRefusedForItem(error)) return { status: 'not-permitted', detail: refusalDetail(error) };
      if (isTransient(error)) throw error;
      return { status: 'failed', detail: describeError(error) };
    }
  }

  async senderOf(invitation: Invitation): Promise<SenderFacts> {
    // An embedded copy that does not parse is read again from its link.
    const embedded = orUndefined(() => embeddedSender(invitation));
    if (embedded) return senderFacts(embedded);
    const from = hrefOf(invitation, 'from');
    if (!from) return {};
    try {
      return senderFacts(await this.deps.ucwa.get('from', from));
    } catch (error) {
      // Gone, or not ours to see: summarised without the sender's facts.
      if (error instanceof UcwaError && error.action === 'target-gone') return {};
      if (isRefusedForItem(error)) return {};
      throw error;
    }
  }
}

/**
 * What a notice says about an invitation. A first message the policy keeps private is left out here, before
 * the claim or the outbox stores it; the notice only says that there was one.
 */
export function invitationSummary(
  invitation: Invitation,
  modality: string,
  showFirstMessage: boolean,
): InvitationSummary {
  const firstMessage = firstMessageOf(invitation);
  return {
    modality,
    ...(invitation.subject ? { subject: invitation.subject } : {}),
    ...(invitation.importance ? { importance: invitation.importance } : {}),
    ...(firstMessage && showFirstMessage ? { firstMessage } : {}),
    ...(firstMessage && !showFirstMessage ? { firstMessageWithheld: true as const } : {}),
  };
}

/** `messagingInvitation` → `messaging`. */
export function modalityOf(rel: InvitationRel): string {
  return rel.replace(/Invitation$/, '');
}

/** The first message of a messaging invitation, decoded from its `message` data URI (docs/ucwa-protocol.md §7.1). */
export function firstMessageOf(invitation: Invitation): string | undefined {
  const href = hrefOf(invitation, 'message');
  return href ? decodeDataUri(href)?.text : undefined;
}
