import type { RenderOptions } from './clean-notice.js';
import { escapeSlack } from './escape.js';
import type { Notice } from './notice.js';
import { cap } from './text.js';
import { DRY_RUN_MARKER, DRY_RUN_NOTE, type NoticeView, noticeView } from './view.js';

/** A notice as a Slack incoming-webhook body: a `text` fallback (notifications, old clients) and Block Kit. */

export type SlackText = { type: 'plain_text'; text: string; emoji: false } | { type: 'mrkdwn'; text: string };

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: false } }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Block Kit limits: header text 150 characters, 10 fields per section, 2000 characters per field. */
const HEADER_MAX = 150;
const FIELDS_PER_SECTION = 10;
const FIELD_MAX = 2000;

function title(view: NoticeView): string {
  return view.subject ? `${view.headline}: ${view.subject}` : view.headline;
}

const mrkdwn = (text: string): SlackText => ({ type: 'mrkdwn', text });

/**
 * Escaped text within `max` characters. Escaping lengthens text (`&` → `&amp;`), and cutting escaped text
 * could split an entity, so the raw text is cut until its escaped form fits.
 */
function fitEscaped(raw: string, max: number, escapeText: (text: string) => string): string {
  for (let limit = max; limit > 1; limit = Math.floor(limit * 0.8)) {
    const escaped = escapeText(cap(raw, limit));
    if (Array.from(escaped).length <= max) return escaped;
  }
  return '…';
}

export function renderSlack(notice: Notice, options: RenderOptions = {}): SlackMessage {
  const view = noticeView(notice, options);
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: fitEscaped(title(view), HEADER_MAX, escapeSlack), emoji: false },
    },
  ];
  if (view.dryRun) blocks.push({ type: 'context', elements: [mrkdwn(`:warning: *${DRY_RUN_NOTE}*`)] });
  if (view.body && view.kind === 'alert') {
    blocks.push({ type: 'section', text: mrkdwn(fitEscaped(view.body.text, FIELD_MAX, escapeSlack)) });
  }
  const fields = view.facts.map((fact) => {
    const label = `*${fact.label}*\n`;
    return mrkdwn(label + fitEscaped(fact.value, FIELD_MAX - label.length, (t) => escapeSlack(t, fact.kind)));
  });
  for (let i = 0; i < fields.length; i += FIELDS_PER_SECTION) {
    blocks.push({ type: 'section', fields: fields.slice(i, i + FIELDS_PER_SECTION) });
  }
  if (view.body && view.kind !== 'alert') {
    blocks.push({
      type: 'section',
      text: mrkdwn(`*${view.body.label}*\n${fitEscaped(view.body.text, FIELD_MAX - 32, escapeSlack)}`),
    });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(escapeSlack(view.footer, 'uri'))] });

  const decision = notice.decision ? ` · ${notice.decision.action}` : '';
  const text = `${view.dryRun ? `[${DRY_RUN_MARKER}] ` : ''}${escapeSlack(title(view))}${decision}`;
  return { text, blocks };
}
