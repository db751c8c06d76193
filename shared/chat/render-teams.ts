import type { RenderOptions } from './clean-notice.js';
import { escapeCardMarkdown } from './escape.js';
import type { Notice } from './notice.js';
import { DRY_RUN_NOTE, type NoticeView, noticeView, type Tone } from './view.js';

/**
 * A notice as the body a Teams Workflows webhook ("Post to a channel when a webhook request is received")
 * expects: a message activity with one Adaptive Card attachment. The flow posts `attachments[0].content`.
 */

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** The Adaptive Card elements this renderer uses (a subset of the 1.4 schema). */
export type CardElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: true;
      size?: 'Small' | 'Medium' | 'Large';
      weight?: 'Bolder';
      color?: 'Good' | 'Warning' | 'Attention' | 'Accent';
      isSubtle?: boolean;
      spacing?: 'Small' | 'Medium';
    }
  | { type: 'FactSet'; facts: Array<{ title: string; value: string }> }
  | { type: 'Container'; style?: 'emphasis' | 'warning' | 'attention'; items: CardElement[] };

export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: '1.4';
  msteams: { width: 'Full' };
  body: CardElement[];
}

export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

const TONE_COLOR: Record<Tone, 'Good' | 'Warning' | 'Attention' | undefined> = {
  default: undefined,
  good: 'Good',
  warning: 'Warning',
  attention: 'Attention',
};

function heading(view: NoticeView): CardElement {
  const headline = escapeCardMarkdown(view.headline);
  const text = view.subject ? `${headline}: ${escapeCardMarkdown(view.subject)}` : headline;
  const color = TONE_COLOR[view.tone];
  return { type: 'TextBlock', text, wrap: true, size: 'Medium', weight: 'Bolder', ...(color && { color }) };
}

/** The Adaptive Card for a notice; invitations and lobby guests get the full fact list, digests and alerts a compact one. */
export function renderTeamsCard(notice: Notice, options: RenderOptions = {}): AdaptiveCard {
  const view = noticeView(notice, options);
  const body: CardElement[] = [];
  if (view.dryRun) {
    body.push({ type: 'TextBlock', text: DRY_RUN_NOTE, wrap: true, weight: 'Bolder', color: 'Warning' });
  }
  body.push(heading(view));
  if (view.body && view.kind === 'alert') {
    body.push({ type: 'TextBlock', text: escapeCardMarkdown(view.body.text), wrap: true });
  }
  body.push({
    type: 'FactSet',
    facts: view.facts.map((fact) => ({
      title: fact.label,
      value: escapeCardMarkdown(fact.value, fact.kind),
    })),
  });
  if (view.body && view.kind !== 'alert') {
    body.push({
      type: 'Container',
      style: 'emphasis',
      items: [
        { type: 'TextBlock', text: view.body.label, wrap: true, weight: 'Bolder', size: 'Small' },
        { type: 'TextBlock', text: escapeCardMarkdown(view.body.text), wrap: true },
      ],
    });
  }
  body.push({
    type: 'TextBlock',
    text: escapeCardMarkdown(view.footer, 'uri'),
    wrap: true,
    size: 'Small',
    isSubtle: true,
    spacing: 'Medium',
  });
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
  };
}

/** The Workflows webhook request body. */
export function renderTeams(notice: Notice, options: RenderOptions = {}): TeamsMessage {
  return {
    type: 'message',
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: renderTeamsCard(notice, options),
      },
    ],
  };
}
