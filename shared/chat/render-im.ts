import type { RenderOptions } from './clean-notice.js';
import { defang } from './escape.js';
import type { Notice } from './notice.js';
import { cap } from './text.js';
import { DRY_RUN_MARKER, noticeView } from './view.js';

/**
 * A notice as a short plain-text instant message (sent through UCWA by the gatekeeper): the same headline,
 * facts and reference as the cards, without the folded details. Values are already one line without control
 * or bidi characters, so a sender cannot forge a line of their own; plain text has no markup to escape, but
 * Skype clients autolink, so links are defanged as in the cards.
 */

export const IM_MAX = 1000;

export function renderInstantMessage(notice: Notice, options: RenderOptions = {}): string {
  const view = noticeView(notice, options);
  const prefix = view.dryRun ? `[${DRY_RUN_MARKER}] ` : '';
  const lines = [`${prefix}${view.headline}${view.subject ? `: ${defang(view.subject)}` : ''}`];
  for (const fact of view.facts) lines.push(`${fact.label}: ${defang(fact.value, fact.kind)}`);
  if (view.body) lines.push(`${view.body.label}: ${defang(view.body.text)}`);
  if (view.note) lines.push(view.note);
  // The reference last, and never cut: it is how a reader finds the event again.
  return `${cap(lines.join('\n'), IM_MAX - view.footer.length - 1)}\n${view.footer}`;
}
