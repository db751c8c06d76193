/**
 * An approximation of how Slack draws the Block Kit this project sends (header, section text and fields,
 * context), for the local chat sink's page and the card pictures. Slack has no offline renderer; this
 * follows its layout and its mrkdwn for *bold*, _italic_, ~strike~ and `code`, nothing more.
 */

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Slack's own entities back to text, then HTML-escaped, then mrkdwn (its markers survive HTML escaping). */
export function mrkdwnHtml(text: string): string {
  const raw = text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
  return escapeHtml(raw)
    .replace(/(^|[^\p{L}\p{N}])\*([^*\n]+)\*(?=$|[^\p{L}\p{N}])/gu, '$1<b>$2</b>')
    .replace(/(^|[^\p{L}\p{N}])_([^_\n]+)_(?=$|[^\p{L}\p{N}])/gu, '$1<i>$2</i>')
    .replace(/(^|[^\p{L}\p{N}])~([^~\n]+)~(?=$|[^\p{L}\p{N}])/gu, '$1<s>$2</s>')
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/:warning:/g, '⚠️')
    .replaceAll('\n', '<br>');
}

interface SlackTextObject {
  type?: string;
  text?: string;
}

interface SlackBlockLike {
  type?: string;
  text?: SlackTextObject;
  fields?: SlackTextObject[];
  elements?: SlackTextObject[];
}

function textHtml(text: SlackTextObject | undefined): string {
  if (!text?.text) return '';
  return text.type === 'mrkdwn' ? mrkdwnHtml(text.text) : escapeHtml(text.text);
}

function blockHtml(block: SlackBlockLike): string {
  switch (block.type) {
    case 'header':
      return `<div class="slack-header">${textHtml(block.text)}</div>`;
    case 'section': {
      const text = block.text ? `<div class="slack-text">${textHtml(block.text)}</div>` : '';
      const fields = (block.fields ?? []).map((field) => `<div>${textHtml(field)}</div>`).join('');
      return `<div class="slack-section">${text}${fields ? `<div class="slack-fields">${fields}</div>` : ''}</div>`;
    }
    case 'context':
      return `<div class="slack-context">${(block.elements ?? []).map((e) => `<span>${textHtml(e)}</span>`).join('')}</div>`;
    default:
      return `<div class="slack-unknown">${escapeHtml(JSON.stringify(block))}</div>`;
  }
}

/** A Slack message as it would appear posted by an app called `app`. */
export function slackMessageHtml(message: unknown, app = 'Gatekeeper'): string {
  const body = (message ?? {}) as { text?: string; blocks?: SlackBlockLike[] };
  const blocks = Array.isArray(body.blocks)
    ? body.blocks.map(blockHtml).join('')
    : `<div class="slack-text">${mrkdwnHtml(body.text ?? '')}</div>`;
  return `<div class="slack"><div class="slack-avatar">G</div><div class="slack-main"><div class="slack-name">${escapeHtml(app)} <span class="slack-app">APP</span></div>${blocks}</div></div>`;
}

export const SLACK_CSS = `
.slack { display: flex; gap: 8px; font: 15px/1.46 'Lato', 'Noto Sans', 'DejaVu Sans', sans-serif; color: #1d1c1d; background: #fff; padding: 8px 20px 8px 12px; }
.slack-avatar { flex: none; width: 36px; height: 36px; border-radius: 6px; background: #4a154b; color: #fff; font-weight: 700; display: flex; align-items: center; justify-content: center; }
.slack-main { min-width: 0; flex: 1; }
.slack-name { font-weight: 900; }
.slack-app { font-size: 10px; font-weight: 700; color: #616061; background: #e8e8e8; border-radius: 2px; padding: 0 3px; vertical-align: 2px; }
.slack-header { font-size: 18px; font-weight: 900; margin: 4px 0; }
.slack-section { margin: 8px 0; }
.slack-fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; }
.slack-fields > div { overflow-wrap: anywhere; }
.slack-context { font-size: 12px; color: #616061; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 4px 12px; overflow-wrap: anywhere; }
.slack code { font-size: 12px; background: #f6f6f6; border: 1px solid #ddd; border-radius: 3px; padding: 0 3px; color: #e01e5a; }
`;
