import { cleanNotice, type RenderOptions } from './clean-notice.js';
import type { TextKind } from './escape.js';
import { ACTION_LABELS, effectLead, OUTCOME_LABELS, type Tone } from './headline.js';
import type { AlertNotice, DigestNotice, EffectNotice, Notice } from './notice.js';
import { noticeReference } from './reference.js';

/**
 * What every chat renderer shows, decided once: the decision and outcome first, then the facts that explain
 * it, then the rest (folded in cards, left out of instant messages), with the same labels in every format.
 * The values are cleaned and masked but not escaped; each renderer escapes them for its format.
 */

export type { Tone };

export interface Fact {
  /** Our own words; safe in every format. */
  label: string;
  /** Cleaned text that may come from the sender. */
  value: string;
  kind: TextKind;
}

export interface NoticeView {
  kind: Notice['kind'];
  dryRun: boolean;
  /** How loudly: removals, would-be removals and failures are `attention`. */
  tone: Tone;
  /** The decision and outcome in our own words, e.g. `Removed from the lobby`. */
  headline: string;
  /** Who or what the notice is about (sender-controlled), shown after the headline. */
  subject?: string;
  /** The facts that explain the headline, shown. */
  facts: Fact[];
  /** A longer sender-controlled text shown on its own: the first message, or an alert's detail. */
  body?: { label: string; text: string };
  /** Our own words in place of a body, e.g. that the policy keeps the first message private. */
  note?: string;
  /** Everything else: folded away in cards, left out of instant messages. */
  details: Fact[];
  /** The short reference that stands for the notice id (see reference.ts). */
  reference: string;
  /** `Ref <reference> · <time>`. */
  footer: string;
}

export const DRY_RUN_MARKER = 'DRY-RUN';
export const DRY_RUN_NOTE = 'DRY-RUN · nothing was changed';
export const WITHHELD_NOTE =
  'The first message is not shown: the policy keeps it private (privacy.firstMessage).';

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

/** `2025-01-02T03:04:05.000Z` → `2025-01-02 03:04 UTC`: the same in every format and every locale. */
export function readableTime(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

class Facts {
  readonly list: Fact[] = [];
  add(label: string, value: string | boolean | number | undefined, kind: TextKind = 'text'): this {
    if (value === undefined || value === '') return this;
    const text = typeof value === 'boolean' ? yesNo(value) : String(value);
    this.list.push({ label, value: text, kind });
    return this;
  }
}

/** What each kind decides; the reference and footer are the same for all. */
type Parts = Pick<NoticeView, 'headline' | 'tone' | 'facts' | 'details'> &
  Partial<Pick<NoticeView, 'subject' | 'body' | 'note'>>;

function modeLabel(notice: Notice): string {
  return notice.mode === 'dry-run' ? DRY_RUN_NOTE : 'Enforce';
}

function effectView(notice: EffectNotice): Parts {
  const { sender, decision, outcome } = notice;
  const lead = effectLead(notice);
  const shown = new Facts();
  if (notice.kind === 'lobby') {
    shown.add('Meeting', notice.meeting?.subject);
    shown.add('Organizer', notice.meeting?.organizerName ?? notice.meeting?.organizerUri, 'uri');
  } else {
    shown.add('Subject', notice.invitation.subject);
  }
  shown
    .add('Address', sender.uri, 'uri')
    .add('Network', sender.sourceNetwork)
    .add('Anonymous', sender.anonymous === true ? true : undefined)
    .add('Rule', `${decision.rule} (${decision.reason})`)
    // A done action's detail only repeats the headline ("rejected from the lobby").
    .add('Result', outcome.status === 'done' ? undefined : outcome.detail);
  const details = new Facts()
    .add('Anonymous', sender.anonymous === false ? false : undefined)
    .add('Role', sender.role)
    .add('Is organizer', sender.organizer)
    .add('Work phone', sender.workPhoneNumber, 'uri')
    .add('Other phone', sender.otherPhoneNumber, 'uri')
    .add('Importance', notice.kind === 'invitation' ? notice.invitation.importance : undefined)
    .add('Meeting address', notice.kind === 'lobby' ? notice.meeting?.uri : undefined, 'uri')
    .add('Decision', ACTION_LABELS[decision.action])
    .add(
      'Outcome',
      outcome.detail
        ? `${OUTCOME_LABELS[outcome.status]}: ${outcome.detail}`
        : OUTCOME_LABELS[outcome.status],
    )
    .add('Mode', modeLabel(notice));
  const view: Parts = {
    ...lead,
    subject:
      sender.name ?? sender.uri ?? (notice.kind === 'lobby' ? 'unknown participant' : 'unknown sender'),
    facts: shown.list,
    details: details.list,
  };
  if (notice.kind === 'invitation') {
    const { firstMessage, firstMessageWithheld } = notice.invitation;
    if (firstMessage) view.body = { label: 'First message', text: firstMessage };
    else if (firstMessageWithheld) view.note = WITHHELD_NOTE;
  }
  return view;
}

function digestView(notice: DigestNotice): Parts {
  const d = notice.digest;
  const details = new Facts();
  for (const [network, count] of Object.entries(d.bySourceNetwork)) details.add(`From ${network}`, count);
  details.add('Mode', modeLabel(notice));
  return {
    headline: 'Gatekeeper digest',
    subject: `${readableTime(d.periodStart).replace(/ UTC$/, '')} – ${readableTime(d.periodEnd)}`,
    tone: d.failures > 0 ? 'warning' : 'default',
    facts: new Facts()
      .add('Invitations', d.invitations)
      .add('Anonymous knocks', d.anonymousKnocks)
      .add('Removals', d.ejections)
      .add('Failures', d.failures).list,
    details: details.list,
  };
}

function alertView(notice: AlertNotice): Parts {
  return {
    headline: 'Gatekeeper alert',
    subject: notice.alert.title,
    tone: 'attention',
    facts: [],
    body: { label: 'Detail', text: notice.alert.detail },
    // Nothing to fold: an alert is about the gatekeeper, not a decision.
    details: [],
  };
}

/** The view of a notice that every renderer draws. */
export function noticeView(raw: Notice, options: RenderOptions = {}): NoticeView {
  const notice = cleanNotice(raw, options);
  const parts =
    notice.kind === 'digest'
      ? digestView(notice)
      : notice.kind === 'alert'
        ? alertView(notice)
        : effectView(notice);
  const reference = noticeReference(raw.id);
  // Several accounts may post to one channel: which one it is about comes first.
  const account: Fact[] = notice.account ? [{ label: 'Account', value: notice.account, kind: 'text' }] : [];
  return {
    kind: notice.kind,
    dryRun: notice.mode === 'dry-run',
    headline: parts.headline,
    tone: parts.tone,
    ...(parts.subject !== undefined && { subject: parts.subject }),
    facts: [...account, ...parts.facts],
    ...(parts.body && { body: parts.body }),
    ...(parts.note && { note: parts.note }),
    details: parts.details,
    reference,
    footer: `Ref ${reference} · ${readableTime(notice.at)}`,
  };
}
