import type { RenderOptions } from './clean-notice.js';
import { escapeSlack } from './escape.js';
import type { Notice } from './notice.js';
import { cap } from './text.js';
import { DRY_RUN_MARKER, DRY_RUN_NOTE, type Fact, type NoticeView, noticeView, type Tone } from './view.js';

/**
 * A notice as a Slack incoming-webhook body: a `text` fallback (notifications, old clients) and Block Kit.
 * The header leads with the decision and outcome (a coloured mark for its tone: blocks have no colours),
 * fields hold the facts that explain it, and the rest is small print in context blocks.
 */

export type SlackText = { type: 'plain_text'; text: string; emoji: false } | { type: 'mrkdwn'; text: string };

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: false } }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Block Kit limits: header text 150 characters, 10 fields per section or elements per context, 2000 per text. */
const HEADER_MAX = 150;
const PER_BLOCK = 10;
const FIELD_MAX = 2000;

const TONE_MARK: Record<Tone, string> = { default: '', good: '🟢 ', warning: '🟠 ', attention: '🔴 ' };

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

function labelled(fact: Fact, separator: string): SlackText {
  const label = `*${fact.label}*${separator}`;
  return mrkdwn(label + fitEscaped(fact.value, FIELD_MAX - label.length, (t) => escapeSlack(t, fact.kind)));
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += PER_BLOCK) out.push(items.slice(i, i + PER_BLOCK));
  return out;
}

export function renderSlack(notice: Notice, options: RenderOptions = {}): SlackMessage {
  const view = noticeView(notice, options);
  const mark = TONE_MARK[view.tone];
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: mark + fitEscaped(title(view), HEADER_MAX - 3, escapeSlack),
        emoji: false,
      },
    },
  ];
  if (view.dryRun) blocks.push({ type: 'context', elements: [mrkdwn(`:warning: *${DRY_RUN_NOTE}*`)] });
  for (const fields of chunks(view.facts.map((fact) => labelled(fact, '\n')))) {
    blocks.push({ type: 'section', fields });
  }
  if (view.body) {
    blocks.push({
      type: 'section',
      text: mrkdwn(`*${view.body.label}*\n${fitEscaped(view.body.text, FIELD_MAX - 32, escapeSlack)}`),
    });
  }
  // The note is our own words: nothing to escape, and escaping would defang `privacy.firstMessage`.
  if (view.note) blocks.push({ type: 'context', elements: [mrkdwn(`_${view.note}_`)] });
  for (const elements of chunks(view.details.map((fact) => labelled(fact, ' ')))) {
    blocks.push({ type: 'context', elements });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(escapeSlack(view.footer, 'uri'))] });
  const text = `${view.dryRun ? `[${DRY_RUN_MARKER}] ` : ''}${escapeSlack(title(view))}`;
  return { text, blocks };
}
