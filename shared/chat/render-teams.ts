import type { RenderOptions } from './clean-notice.js';
import { escapeCardMarkdown } from './escape.js';
import type { Notice } from './notice.js';
import { DRY_RUN_NOTE, type Fact, type NoticeView, noticeView, type Tone } from './view.js';

/**
 * A notice as the body a Teams Workflows webhook ("Post to a channel when a webhook request is received")
 * expects: a message activity with one Adaptive Card attachment. The flow posts `attachments[0].content`.
 * The card leads with the decision and outcome on a band coloured by tone, then the facts that explain it;
 * the rest sits behind a "Details" button (Action.ShowCard).
 */

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

type ContainerStyle = 'default' | 'emphasis' | 'good' | 'warning' | 'attention';

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
  | { type: 'Container'; style?: ContainerStyle; bleed?: true; items: CardElement[] };

export interface CardAction {
  type: 'Action.ShowCard';
  title: string;
  card: { type: 'AdaptiveCard'; body: CardElement[] };
}

export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: '1.4';
  msteams: { width: 'Full' };
  body: CardElement[];
  actions?: CardAction[];
}

export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

const TONE_STYLE: Record<Tone, ContainerStyle> = {
  default: 'emphasis',
  good: 'good',
  warning: 'warning',
  attention: 'attention',
};

const TONE_COLOR: Record<Tone, 'Good' | 'Warning' | 'Attention' | undefined> = {
  default: undefined,
  good: 'Good',
  warning: 'Warning',
  attention: 'Attention',
};

function lead(view: NoticeView): CardElement {
  const headline = escapeCardMarkdown(view.headline);
  const text = view.subject ? `${headline}: ${escapeCardMarkdown(view.subject)}` : headline;
  const color = TONE_COLOR[view.tone];
  return {
    type: 'Container',
    style: TONE_STYLE[view.tone],
    bleed: true,
    items: [
      { type: 'TextBlock', text, wrap: true, size: 'Medium', weight: 'Bolder', ...(color && { color }) },
    ],
  };
}

function factSet(facts: readonly Fact[]): CardElement {
  return {
    type: 'FactSet',
    facts: facts.map((fact) => ({ title: fact.label, value: escapeCardMarkdown(fact.value, fact.kind) })),
  };
}

const small = (text: string, spacing?: 'Medium'): CardElement => ({
  type: 'TextBlock',
  text,
  wrap: true,
  size: 'Small',
  isSubtle: true,
  ...(spacing && { spacing }),
});

/** The Adaptive Card for a notice. */
export function renderTeamsCard(notice: Notice, options: RenderOptions = {}): AdaptiveCard {
  const view = noticeView(notice, options);
  const body: CardElement[] = [];
  if (view.dryRun) {
    body.push({ type: 'TextBlock', text: DRY_RUN_NOTE, wrap: true, weight: 'Bolder', color: 'Warning' });
  }
  body.push(lead(view));
  if (view.facts.length > 0) body.push(factSet(view.facts));
  if (view.body) {
    body.push({
      type: 'Container',
      style: 'emphasis',
      items: [
        { type: 'TextBlock', text: view.body.label, wrap: true, weight: 'Bolder', size: 'Small' },
        { type: 'TextBlock', text: escapeCardMarkdown(view.body.text), wrap: true },
      ],
    });
  }
  // Our own words: escaping would only defang `privacy.firstMessage`.
  if (view.note) body.push(small(view.note));
  body.push(small(escapeCardMarkdown(view.footer, 'uri'), 'Medium'));
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
  };
  if (view.details.length > 0) {
    card.actions = [
      {
        type: 'Action.ShowCard',
        title: 'Details',
        card: { type: 'AdaptiveCard', body: [factSet(view.details)] },
      },
    ];
  }
  return card;
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
