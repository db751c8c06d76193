import { createRequire } from 'node:module';
import { escapeHtml, SLACK_CSS, slackMessageHtml } from './slack-html.js';

/**
 * One HTML page that shows chat messages the way their channels draw them: Teams cards through Microsoft's
 * own Adaptive Cards renderer (the `adaptivecards` package) with a Teams-like host config, Slack blocks
 * through an approximation of Block Kit, an instant message as a chat bubble, a webhook as its headers and
 * JSON. The local chat sink serves it at `/`; `npm run cards:render` photographs it for docs/img/.
 */

export type ShownChannel = 'teams' | 'slack' | 'webhook' | 'im';

export interface ShownMessage {
  channel: ShownChannel;
  /** The request body as posted (the IM's text for `im`). */
  body: unknown;
  headers?: Record<string, string>;
  /** A caption above the message, e.g. when it arrived. */
  caption?: string;
}

export interface PageOptions {
  title: string;
  /** Where the page loads the Adaptive Cards bundle from. */
  adaptiveCardsSrc: string;
  /** Reload when `/received` grows (the chat sink's live page). */
  live?: { count: number };
  /** Width of each message in CSS pixels. */
  width?: number;
  /** Open every card's "Details" (Action.ShowCard), for a picture of them. */
  expandDetails?: boolean;
}

/** The bundled renderer, for serving or for a file:// page. */
export const ADAPTIVE_CARDS_BUNDLE = createRequire(import.meta.url).resolve(
  'adaptivecards/dist/adaptivecards.min.js',
);

const CHANNEL_NAMES: Record<ShownChannel, string> = {
  teams: 'Microsoft Teams',
  slack: 'Slack',
  webhook: 'JSON webhook',
  im: 'UCWA instant message',
};

/** Teams' light theme, near enough: Segoe UI where installed, its text and status colours. */
const TEAMS_HOST_CONFIG = `(() => {
  const fg = { default: { default: '#242424', subtle: '#616161' }, dark: { default: '#000000', subtle: '#616161' },
    light: { default: '#ffffff', subtle: '#f0f0f0' }, accent: { default: '#5b5fc7', subtle: '#7f85f5' },
    attention: { default: '#c4314b', subtle: '#c4314b' }, good: { default: '#237b4b', subtle: '#237b4b' },
    warning: { default: '#835c00', subtle: '#835c00' } };
  const style = (backgroundColor) => ({ backgroundColor, foregroundColors: fg });
  return { fontFamily: "'Segoe UI', 'Noto Sans', 'DejaVu Sans', system-ui, sans-serif",
    fontSizes: { small: 12, default: 14, medium: 16, large: 20, extraLarge: 24 },
    fontWeights: { lighter: 300, default: 400, bolder: 700 },
    spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
    containerStyles: { default: style('#ffffff'), emphasis: style('#f5f5f5'), accent: style('#e8ebfa'),
      good: style('#e7f2da'), attention: style('#fcf4f6'), warning: style('#fbf6d9') },
    actions: { actionsOrientation: 'horizontal', actionAlignment: 'left', buttonSpacing: 8, showCard: { actionMode: 'inline', inlineTopMargin: 12 } },
    factSet: { title: { weight: 'bolder', wrap: true, maxWidth: 150 }, value: { wrap: true }, spacing: 8 } };
})()`;

/** Teams' markdown, as far as these cards use it: backslash escapes become the characters they escape. */
const MARKDOWN = `(text, result) => {
  const html = text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  result.outputHtml = '<p>' + html.replace(/\\\\([\\\\\`*_[\\]()#><~|{}!+.-])/g, '$1') + '</p>';
  result.didProcess = true;
}`;

function messageHtml(message: ShownMessage): string {
  switch (message.channel) {
    case 'teams': {
      const content = (message.body as { attachments?: { content?: unknown }[] })?.attachments?.[0]?.content;
      return `<div class="teams"><div class="teams-name">Gatekeeper <span class="teams-via">via Workflows</span></div><div class="teams-card" data-card="${escapeHtml(JSON.stringify(content ?? {}))}"></div></div>`;
    }
    case 'slack':
      return slackMessageHtml(message.body);
    case 'im':
      return `<div class="im"><div class="im-name">Gatekeeper</div><div class="im-bubble">${escapeHtml(String(message.body))}</div></div>`;
    case 'webhook': {
      const headers = Object.entries(message.headers ?? {})
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n');
      return `<pre class="webhook">${escapeHtml(`${headers}\n\n${JSON.stringify(message.body, null, 2)}`)}</pre>`;
    }
  }
}

const PAGE_CSS = `
body { margin: 0; background: #f0f0f0; font: 14px 'Segoe UI', 'Noto Sans', 'DejaVu Sans', sans-serif; color: #242424; }
main { display: flex; flex-direction: column; gap: 16px; padding: 16px; }
.shot { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.15); overflow: hidden; }
.caption { font-size: 12px; color: #616161; padding: 6px 12px; border-bottom: 1px solid #eee; }
.teams { background: #f5f5f5; padding: 12px 16px 16px; }
.teams-name { font-size: 12px; font-weight: 600; margin-bottom: 6px; }
.teams-via { font-weight: 400; color: #616161; }
.teams-card { background: #fff; border-radius: 4px; box-shadow: 0 1px 2px rgba(0,0,0,.14); overflow: hidden; }
.teams-card .ac-pushButton { font: 600 14px 'Segoe UI', 'Noto Sans', sans-serif; background: #fff; border: 1px solid #d1d1d1; border-radius: 4px; padding: 5px 12px; color: #242424; }
.im { padding: 12px 16px; font: 14px 'Segoe UI', 'Noto Sans', 'DejaVu Sans', sans-serif; }
.im-name { font-size: 12px; color: #616161; margin-bottom: 4px; }
.im-bubble { white-space: pre-wrap; overflow-wrap: anywhere; background: #e8ebfa; border-radius: 8px; padding: 8px 12px; display: inline-block; max-width: 100%; box-sizing: border-box; }
.webhook { margin: 0; padding: 12px; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
${SLACK_CSS}`;

/** The page; Teams cards render in the browser, once the Adaptive Cards bundle has loaded. */
export function chatPage(messages: readonly ShownMessage[], options: PageOptions): string {
  const width = options.width ?? 560;
  const shots = messages
    .map((message) => {
      const caption = message.caption ?? CHANNEL_NAMES[message.channel];
      return `<section class="shot" style="width:${width}px"><div class="caption">${escapeHtml(caption)}</div>${messageHtml(message)}</section>`;
    })
    .join('\n');
  const live = options.live
    ? `setInterval(async () => { const r = await fetch('/received'); const list = await r.json();
        if (list.length !== ${options.live.count}) location.reload(); }, 2000);`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(options.title)}</title>
<style>${PAGE_CSS}</style></head>
<body><main>${shots || '<p>Nothing received yet.</p>'}</main>
<script src="${escapeHtml(options.adaptiveCardsSrc)}"></script>
<script>
AdaptiveCards.AdaptiveCard.onProcessMarkdown = ${MARKDOWN};
const hostConfig = new AdaptiveCards.HostConfig(${TEAMS_HOST_CONFIG});
for (const element of document.querySelectorAll('.teams-card')) {
  const card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = hostConfig;
  card.parse(JSON.parse(element.dataset.card));
  element.appendChild(card.render());
  ${options.expandDetails ? "element.querySelector('button')?.click();" : ''}
}
document.body.dataset.height = String(Math.ceil(document.querySelector('main').getBoundingClientRect().height));
${live}
</script></body></html>`;
}
