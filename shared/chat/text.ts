/**
 * Cleaning of text a sender controls, before any format-specific escaping: one line, no control, invisible or
 * direction-changing characters (a visible marker where they were), capped in length. Every renderer starts
 * from this.
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

/** Shown where hidden characters were removed, so a padded or look-alike name never passes for the real one. */
export const HIDDEN_MARKER = '\uFFFD';

/** Letters of scripts whose shaping needs ZWJ/ZWNJ (Arabic, Indic, …); Latin, Greek and Cyrillic never do. */
const JOINING = String.raw`[[\p{L}\p{M}]--[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}\p{Script=Inherited}]]`;

/**
 * By Unicode property, not a hand list: controls (C0, C1) and default-ignorable code points (bidi controls,
 * zero-width characters, variation selectors, tags, the Hangul fillers U+115F/U+1160/U+3164/U+FFA0, …) plus
 * U+2800 BRAILLE PATTERN BLANK, which renders blank without being default-ignorable. Kept whole: RGI emoji
 * (their joiners, variation selectors and tags are part of them) and a joiner between two letters of a script
 * that needs it.
 */
const HIDDEN = new RegExp(
  String.raw`(?=[\p{Emoji}\p{Emoji_Component}])(\p{RGI_Emoji})|(?<=${JOINING})[\u200C\u200D](?=${JOINING})|([\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}\p{Default_Ignorable_Code_Point}\u2800]+)`,
  'gv',
);

const ANY_HIDDEN = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** Tabs and line breaks (including NEL, U+2028, U+2029): a sender must not start a line of their own. */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;

/** Line breaks become spaces; each run of controls and invisible characters becomes one HIDDEN_MARKER. */
export function stripControls(value: string): string {
  const line = value.replace(BREAKS, ' ');
  // The emoji alternative is costly; most text has nothing hidden and skips it.
  if (!ANY_HIDDEN.test(line)) return line;
  return line.replace(
    HIDDEN,
    (match, emoji?: string, hidden?: string) => emoji ?? (hidden ? HIDDEN_MARKER : match),
  );
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

/** One line of visible text: hidden characters marked, whitespace collapsed, capped. */
export function cleanText(value: string, max: number): string {
  // Bounded work however long the sender's text: far more than fits is cut before the regexes see it.
  const bound = max * 8;
  const end = bound - (/[\uD800-\uDBFF]/.test(value.charAt(bound - 1)) ? 1 : 0);
  const head = value.length > bound ? `${value.slice(0, end)}${ELLIPSIS}` : value;
  return cap(stripControls(head.normalize('NFC')).replace(/\s+/g, ' ').trim(), max);
}

/** `cleanText` for optional values; an empty result counts as absent. */
export function cleanOptional(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const cleaned = cleanText(value, max);
  return cleaned === '' ? undefined : cleaned;
}
