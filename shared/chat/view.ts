import { cleanNotice, type RenderOptions } from './clean-notice.js';
import type { TextKind } from './escape.js';
import type { Notice, NoticeAction } from './notice.js';

/**
 * What every chat renderer shows, decided once: the same facts in the same order with the same labels. The
 * values are cleaned and masked but not escaped; each renderer escapes them for its format.
 */

export interface Fact {
  /** Our own words; safe in every format. */
  label: string;
  /** Cleaned text that may come from the sender. */
  value: string;
  kind: TextKind;
}

export type Tone = 'default' | 'good' | 'warning' | 'attention';

export interface NoticeView {
  kind: Notice['kind'];
  dryRun: boolean;
  /** Our own words, e.g. `Incoming messaging invitation`. */
  headline: string;
  /** Who or what the notice is about (sender-controlled), shown after the headline. */
  subject?: string;
  tone: Tone;
  facts: Fact[];
  /** A longer sender-controlled text shown on its own: the first message, or an alert's detail. */
  body?: { label: string; text: string };
  /** Notice id and time. */
  footer: string;
}

export const DRY_RUN_MARKER = 'DRY-RUN';
export const DRY_RUN_NOTE = 'DRY-RUN · nothing was changed';

const ACTION_LABELS: Record<NoticeAction, string> = {
  summarize: 'Summarize',
  eject: 'Eject',
  reject: 'Reject',
  decline: 'Decline',
  accept: 'Accept',
  ignore: 'Ignore',
};

const OUTCOME_LABELS: Record<NonNullable<Notice['outcome']>['status'], string> = {
  done: 'Done',
  'would-do': 'Would have acted (dry-run)',
  skipped: 'Skipped',
  failed: 'Failed',
  'already-left': 'Already left',
  'not-permitted': 'Not permitted',
};

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

function tone(notice: Notice): Tone {
  if (notice.kind === 'alert' || notice.outcome?.status === 'failed') return 'attention';
  const action = notice.decision?.action;
  if (action === 'eject' || action === 'reject' || action === 'decline') return 'attention';
  if (action === 'accept') return 'good';
  return 'default';
}

function headline(notice: Notice): string {
  switch (notice.kind) {
    case 'invitation':
      return notice.invitation ? `Incoming ${notice.invitation.modality} invitation` : 'Incoming invitation';
    case 'lobby':
      // An `on: "roster"` decision is about someone already in the meeting.
      return notice.sender?.inLobby === false ? 'Meeting participant' : 'Lobby guest';
    case 'digest':
      return 'Gatekeeper digest';
    case 'alert':
      return 'Gatekeeper alert';
  }
}

function senderFacts(notice: Notice): Fact[] {
  const s = notice.sender;
  if (!s) return [];
  const facts: Fact[] = [];
  const add = (label: string, value: string | boolean | undefined, kind: TextKind = 'text') => {
    if (value === undefined) return;
    facts.push({ label, value: typeof value === 'boolean' ? yesNo(value) : value, kind });
  };
  add('Sender', s.name);
  add('URI', s.uri, 'uri');
  add('Source network', s.sourceNetwork);
  add('Anonymous', s.anonymous);
  add('In lobby', s.inLobby);
  add('Role', s.role);
  add('Organizer', s.organizer);
  add('Work phone', s.workPhoneNumber, 'uri');
  add('Other phone', s.otherPhoneNumber, 'uri');
  return facts;
}

function invitationFacts(notice: Notice): Fact[] {
  const facts: Fact[] = [];
  const { invitation, meeting } = notice;
  if (invitation?.subject) facts.push({ label: 'Subject', value: invitation.subject, kind: 'text' });
  if (invitation?.importance) facts.push({ label: 'Importance', value: invitation.importance, kind: 'text' });
  if (meeting?.subject) facts.push({ label: 'Meeting', value: meeting.subject, kind: 'text' });
  if (meeting?.uri) facts.push({ label: 'Meeting URI', value: meeting.uri, kind: 'uri' });
  return facts;
}

function decisionFacts(notice: Notice): Fact[] {
  const facts: Fact[] = [];
  const { decision, outcome } = notice;
  if (decision) {
    facts.push({ label: 'Decision', value: ACTION_LABELS[decision.action], kind: 'text' });
    facts.push({ label: 'Rule', value: decision.rule, kind: 'text' });
    facts.push({ label: 'Reason', value: decision.reason, kind: 'text' });
  }
  facts.push({ label: 'Mode', value: notice.mode === 'dry-run' ? DRY_RUN_NOTE : 'Enforce', kind: 'text' });
  if (outcome) {
    const label = OUTCOME_LABELS[outcome.status];
    facts.push({
      label: 'Outcome',
      value: outcome.detail ? `${label}: ${outcome.detail}` : label,
      kind: 'text',
    });
  }
  return facts;
}

function digestFacts(notice: Notice): Fact[] {
  const d = notice.digest;
  if (!d) return [];
  const facts: Fact[] = [
    { label: 'Period', value: `${d.periodStart} – ${d.periodEnd}`, kind: 'text' },
    { label: 'Invitations', value: String(d.invitations), kind: 'text' },
    { label: 'Anonymous knocks', value: String(d.anonymousKnocks), kind: 'text' },
    { label: 'Ejections', value: String(d.ejections), kind: 'text' },
    { label: 'Failures', value: String(d.failures), kind: 'text' },
  ];
  for (const [network, count] of Object.entries(d.bySourceNetwork)) {
    facts.push({ label: `From ${network}`, value: String(count), kind: 'text' });
  }
  return facts;
}

/** The view of a notice that every renderer draws. */
export function noticeView(raw: Notice, options: RenderOptions = {}): NoticeView {
  const notice = cleanNotice(raw, options);
  const view: NoticeView = {
    kind: notice.kind,
    dryRun: notice.mode === 'dry-run',
    headline: headline(notice),
    tone: tone(notice),
    facts: [],
    footer: `Notice ${notice.id} · ${notice.at}`,
  };
  switch (notice.kind) {
    case 'digest':
      view.facts = [...digestFacts(notice), { label: 'Mode', value: modeLabel(notice), kind: 'text' }];
      break;
    case 'alert':
      view.subject = notice.alert?.title;
      if (notice.alert) view.body = { label: 'Detail', text: notice.alert.detail };
      view.facts = [{ label: 'Mode', value: modeLabel(notice), kind: 'text' }];
      break;
    default: {
      view.subject = notice.sender?.name ?? notice.sender?.uri ?? 'unknown sender';
      view.facts = [...senderFacts(notice), ...invitationFacts(notice), ...decisionFacts(notice)];
      const message = notice.invitation?.firstMessage;
      if (message) view.body = { label: 'First message', text: message };
    }
  }
  return view;
}

function modeLabel(notice: Notice): string {
  return notice.mode === 'dry-run' ? DRY_RUN_NOTE : 'Enforce';
}
