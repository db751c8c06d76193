/**
 * What the gatekeeper tells a chat channel. The use cases build notices; renderers turn them into Teams
 * cards, Slack blocks, webhook JSON or an instant message. Sender-controlled text (names, subjects, messages)
 * is raw here: every renderer escapes it for its own format.
 */

import type { ActionOutcome, Mode } from '../gatekeeper/outcome.js';
import type { SenderFacts } from '../policy/facts.js';

export type { ActionOutcome, Mode, SenderFacts };

export type NoticeAction = 'summarize' | 'eject' | 'reject' | 'decline' | 'accept' | 'ignore';

export interface NoticeDecision {
  action: NoticeAction;
  /** The policy rule that decided, or `default` / a safety guard's name. */
  rule: string;
  reason: string;
}

export interface InvitationSummary {
  /** messaging, audioVideo, onlineMeeting, participant, phoneAudio. */
  modality: string;
  subject?: string;
  importance?: string;
  /** First message text, decoded from its data: URI; only where the policy's `privacy.firstMessage` allows. */
  firstMessage?: string;
  /** The sender wrote a first message that the policy keeps out of chat. */
  firstMessageWithheld?: true;
}

/** What the server said about a meeting, for readers: never the UCWA hrefs. */
export interface MeetingFacts {
  subject?: string;
  organizerName?: string;
  organizerUri?: string;
  /** The meeting's SIP URI, as WATCHED_MEETINGS lists it. */
  uri?: string;
}

export interface DigestSummary {
  periodStart: string;
  periodEnd: string;
  invitations: number;
  bySourceNetwork: Record<string, number>;
  anonymousKnocks: number;
  ejections: number;
  failures: number;
}

interface NoticeBase {
  /** Stable idempotency key: the outbox delivers each id once per sink. */
  id: string;
  /** ISO 8601. */
  at: string;
  mode: Mode;
  /** The guarded account it is about, when the deployment names its accounts (GATEKEEPER_ACCOUNTS). */
  account?: string;
}

/** An incoming invitation (IM, call, meeting) and what came of the policy's decision about it. */
export interface InvitationNotice extends NoticeBase {
  kind: 'invitation';
  sender: SenderFacts;
  invitation: InvitationSummary;
  decision: NoticeDecision;
  outcome: ActionOutcome;
}

/** Someone waiting in a meeting's lobby, or (`sender.inLobby: false`) already in a meeting the account leads. */
export interface LobbyNotice extends NoticeBase {
  kind: 'lobby';
  sender: SenderFacts;
  /** Absent when the server would not say (or the notice predates meeting facts). */
  meeting?: MeetingFacts;
  decision: NoticeDecision;
  outcome: ActionOutcome;
}

export interface DigestNotice extends NoticeBase {
  kind: 'digest';
  digest: DigestSummary;
}

export interface AlertNotice extends NoticeBase {
  kind: 'alert';
  alert: { title: string; detail: string };
}

export type Notice = InvitationNotice | LobbyNotice | DigestNotice | AlertNotice;

/** The notices about one participant or sender: an effect's report. */
export type EffectNotice = InvitationNotice | LobbyNotice;
