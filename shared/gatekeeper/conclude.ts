import type { EffectNotice, InvitationSummary, MeetingFacts } from '../chat/notice.js';
import { noticeReference } from '../chat/reference.js';
import { describeError, errorName } from '../lib/describe-error.js';
import type { Decision } from '../policy/decide.js';
import type { SenderFacts } from '../policy/facts.js';
import type { Telemetry } from '../telemetry.js';
import { completed } from './claim-lifecycle.js';
import { isPermanentForItem } from './failures.js';
import type { Logger } from './logger.js';
import type { ActionOutcome, Mode } from './outcome.js';
import type { AuditSink, ClaimRecord, ClaimStore, NoticeQueue } from './ports.js';

/** What an effect's claim keeps so that any run can report it: stored as JSON with the claim. */
export interface ClaimReport {
  subject: 'invitation' | 'lobby' | 'roster';
  /** Participant href (lobby) or the sender's URI (invitation). */
  participant: string;
  /** The conversation href of the meeting (lobby). */
  meeting?: string;
  facts: SenderFacts;
  decision: Decision;
  notify: boolean;
  invitation?: InvitationSummary;
  /** Where the target can be read again (an invitation's href and rel). */
  target?: { rel: string; href: string };
}

export interface ConcludeDeps {
  claims: ClaimStore;
  audit: AuditSink;
  outbox: NoticeQueue;
  telemetry: Telemetry;
  log: Logger;
  mode: Mode;
  now: () => Date;
  /** What a lobby notice says about its meeting (subject, organizer); without it, nothing. */
  meetings?: { read(conversationHref: string): Promise<MeetingFacts | undefined> };
}

/** One effect's end, as `conclude` reports it. */
export interface Conclusion {
  record: ClaimRecord;
  report: ClaimReport;
  outcome: ActionOutcome;
  /** Whether chat hears of it; default the report's `notify`. */
  notify?: boolean;
}

/** The notice id of an effect: one per effect, so a retried conclusion never posts twice. */
export function noticeIdOf(record: Pick<ClaimRecord, 'key' | 'effectAt'>): string {
  return `${record.key}|${record.effectAt}`;
}

/**
 * The end of every effect: the audit row, the chat notice (into the outbox), then the claim's completion —
 * in that order, each idempotent, so a failure in between repeats a step and never loses one. A step the
 * store refuses for this item alone (a 4xx, a size limit) is logged and counted, and the rest still runs;
 * an outage propagates so the caller retries.
 */
export async function conclude(
  deps: ConcludeDeps,
  { record, report, outcome, notify = report.notify }: Conclusion,
): Promise<void> {
  await permanentIsSkipped(deps, 'audit', () =>
    deps.audit.record({
      at: new Date(record.effectAt),
      key: record.key,
      subject: report.subject,
      ...(report.meeting ? { meeting: report.meeting } : {}),
      participant: report.participant,
      facts: auditFacts(report.facts),
      rule: report.decision.rule,
      decision: report.decision.action,
      mode: deps.mode,
      outcome: outcome.status,
      ...(outcome.detail ? { detail: outcome.detail } : {}),
      ref: noticeReference(noticeIdOf(record)),
    }),
  );
  if (notify) {
    const notice = await noticeOf(deps, record, report, outcome);
    await permanentIsSkipped(deps, 'notice', () => deps.outbox.enqueue(notice));
  }
  // Undefined means another run finished or took over the claim: it reports with the same ids.
  await deps.claims.write(record, completed(outcome.status, deps.now().getTime()));
}

/** The chat notice of an effect: an invitation's, or a lobby (or roster) participant's with the meeting's facts. */
async function noticeOf(
  deps: ConcludeDeps,
  record: ClaimRecord,
  report: ClaimReport,
  outcome: ActionOutcome,
): Promise<EffectNotice> {
  const { action, rule, reason } = report.decision;
  const common = {
    id: noticeIdOf(record),
    at: record.effectAt,
    mode: deps.mode,
    sender: report.facts,
    decision: { action, rule, reason },
    outcome,
  };
  if (report.subject === 'invitation') {
    return { ...common, kind: 'invitation', invitation: report.invitation ?? { modality: 'unknown' } };
  }
  // Facts are description only: a failed read leaves them out and never holds the conclusion up.
  const meeting = report.meeting
    ? await deps.meetings?.read(report.meeting).catch(() => undefined)
    : undefined;
  // A roster participant's notice is a meeting participant's: the lobby kind, inLobby false.
  return { ...common, kind: 'lobby', ...(meeting && { meeting }) };
}

async function permanentIsSkipped(deps: ConcludeDeps, step: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!isPermanentForItem(error)) throw error;
    deps.log.error(`The ${step} of an effect was refused; skipped for this item`, {
      error: describeError(error),
    });
    deps.telemetry.event('ConcludeStepRejected', { step, error: errorName(error) });
  }
}

/** Audit facts: what the server said about the participant, without phone numbers. */
function auditFacts(facts: SenderFacts): Record<string, unknown> {
  const { workPhoneNumber: _w, otherPhoneNumber: _o, ...rest } = facts;
  return rest;
}
