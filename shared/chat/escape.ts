/**
 * Format-specific escaping of text a sender controls, applied after `cleanText`. The aim is that nothing a
 * sender writes can mention people, add a clickable link or change the markup of a channel message.
 */

/** What kind of value is escaped: free text gets bare domains defanged too, URIs only their scheme. */
export type TextKind = 'text' | 'uri';

const ZWSP = '\u200b';

/**
 * Makes links non-clickable: `https://x` → `https[:]//x`, `www.x` → `www[.]x`, and in free text every dot
 * of a bare domain (`evil.com` → `evil[.]com`), which chat clients would otherwise autolink.
 */
export function defang(text: string, kind: TextKind = 'text'): string {
  let out = text.replace(/\b([a-z][a-z0-9+.-]*):\/\//gi, '$1[:]//').replace(/\bwww\./gi, 'www[.]');
  if (kind === 'text') {
    out = out.replace(/\b(?:[a-z0-9-]+\.)+[a-z]{2,63}\b/gi, (domain) => domain.replaceAll('.', '[.]'));
  }
  return out;
}

/**
 * Slack mrkdwn (and plain_text, which Slack also scans for `&`, `<`, `>`): entities for `&`, `<`, `>` — so
 * `<!channel>`, `<@U…>` and `<http…|…>` come out as text — zero-width spaces around the formatting
 * characters `*`, `_`, `~` and backticks (Slack has no escape character; a zero-width space breaks the word
 * boundary its formatting needs), and a zero-width space after `@` in `@here`, `@channel`, `@everyone`.
 * Intraword `_` and `*` (`john_doe`) are left alone: Slack does not format them and URIs stay copyable.
 */
export function escapeSlack(text: string, kind: TextKind = 'text'): string {
  const entities = defang(text, kind).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const formatting = entities.replace(/[*_~`]/g, (char, offset: number, whole: string) => {
    const intraword =
      char !== '`' &&
      /[\p{L}\p{N}]/u.test(whole[offset - 1] ?? '') &&
      /[\p{L}\p{N}]/u.test(whole[offset + 1] ?? '');
    return intraword ? char : `${ZWSP}${char}${ZWSP}`;
  });
  const mentions = formatting.replace(/@(here|channel|everyone)\b/gi, `@${ZWSP}$1`);
  // A value that starts a line must not start a block quote.
  return mentions.startsWith('&gt;') ? `${ZWSP}${mentions}` : mentions;
}

/**
 * Adaptive Card TextBlock / FactSet markdown (CommonMark subset plus Teams' own autolinking and `<at>`
 * mentions): a backslash before every character markdown or the card's `{{DATE()}}` functions could act
 * on, list markers at the start escaped, links defanged.
 */
export function escapeCardMarkdown(text: string, kind: TextKind = 'text'): string {
  const escaped = defang(text, kind).replace(/[\\`*_[\]()#><~|{}!]/g, '\\$&');
  // List markers only count at the start of a line, and every value is one line.
  return escaped.replace(/^([-+])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
}
