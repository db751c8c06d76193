import type { RenderOptions } from './clean-notice.js';
import { defang } from './escape.js';
import type { Notice } from './notice.js';
import { cap } from './text.js';
import { DRY_RUN_MARKER, noticeView } from './view.js';

/**
 * A notice as a short plain-text instant message (sent through UCWA by the gatekeeper). Values are already
 * one line without control or bidi characters, so a sender cannot forge a line of their own; plain text has
 * no markup to escape, but Skype clients autolink, so links are defanged as in the cards.
 */

export const IM_MAX = 1000;

/** Facts worth a line in an instant message, in this order; the rest stay in the cards. */
const IM_FACTS = ['URI', 'Source network', 'Subject', 'Meeting', 'Decision', 'Rule', 'Reason', 'Outcome'];

export function renderInstantMessage(notice: Notice, options: RenderOptions = {}): string {
  const raw = noticeView(notice, options);
  const view = {
    ...raw,
    subject: raw.subject === undefined ? undefined : defang(raw.subject),
    facts: raw.facts.map((fact) => ({ ...fact, value: defang(fact.value, fact.kind) })),
    body: raw.body && { ...raw.body, text: defang(raw.body.text) },
  };
  const prefix = view.dryRun ? `[${DRY_RUN_MARKER}] ` : '';
  const lines = [`${prefix}${view.headline}${view.subject ? `: ${view.subject}` : ''}`];
  const flags = view.facts
    .filter((fact) => ['Anonymous', 'In lobby', 'Organizer'].includes(fact.label) && fact.value === 'yes')
    .map((fact) => fact.label.toLowerCase());
  const byLabel = new Map(view.facts.map((fact) => [fact.label, fact.value]));
  if (view.kind === 'digest') {
    for (const fact of view.facts) if (fact.label !== 'Mode') lines.push(`${fact.label}: ${fact.value}`);
  } else {
    for (const label of IM_FACTS) {
      const value = byLabel.get(label);
      if (value !== undefined) lines.push(`${label}: ${value}`);
    }
  }
  if (flags.length > 0) lines.splice(1, 0, `Flags: ${flags.join(', ')}`);
  if (view.body) lines.push(`${view.body.label}: ${view.body.text}`);
  return cap(lines.join('\n'), IM_MAX);
}
