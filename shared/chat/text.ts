/**
 * Cleaning of text a sender controls, before any format-specific escaping: one line, no control or
 * direction-changing characters, capped in length. Every renderer starts from this.
 */

/** Display caps in characters (code points); longer text ends with an ellipsis. */
export const TEXT_CAPS = {
  name: 100,
  uri: 256,
  subject: 200,
  message: 500,
  /** Role, source network, importance, modality: short UCWA tokens. */
  token: 64,
  rule: 100,
  reason: 300,
  detail: 500,
  title: 150,
} as const;

export const ELLIPSIS = '…';

/**
 * C0 and C1 controls, bidi embeddings/overrides/isolates (U+202A–U+202E, U+2066–U+2069), the implicit
 * direction marks (U+200E, U+200F, U+061C) and invisible separators (U+200B, U+2060, U+FEFF): they let a
 * sender reorder or hide what a reader sees. ZWJ/ZWNJ stay, emoji and several scripts need them.
 */
function isInvisible(code: number): boolean {
  return (
    code <= 0x08 ||
    (code >= 0x0e && code <= 0x1f) ||
    (code >= 0x7f && code <= 0x9f && code !== 0x85) ||
    code === 0x061c ||
    code === 0x200b ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    code === 0x2060 ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff
  );
}

/** Tabs and line breaks (including NEL, U+2028, U+2029): a sender must not start a line of their own. */
function isBreak(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0x2028 || code === 0x2029;
}

/** Line breaks become spaces; controls, bidi overrides and invisible characters go. */
export function stripControls(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (isBreak(code)) out += ' ';
    else if (!isInvisible(code)) out += char;
  }
  return out;
}

/** Cut to at most `max` code points, ending with an ellipsis when cut; never splits a surrogate pair. */
export function cap(text: string, max: number): string {
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points
    .slice(0, Math.max(0, max - 1))
    .join('')
    .trimEnd()}${ELLIPSIS}`;
}

/** One line of visible text: controls and bidi overrides removed, whitespace collapsed, capped. */
export function cleanText(value: string, max: number): string {
  return cap(stripControls(value.normalize('NFC')).replace(/\s+/g, ' ').trim(), max);
}

/** `cleanText` for optional values; an empty result counts as absent. */
export function cleanOptional(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const cleaned = cleanText(value, max);
  return cleaned === '' ? undefined : cleaned;
}
