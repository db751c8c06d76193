import type { Notice } from './notice.js';
import { cap } from './text.js';

/** Table string properties hold 64 KiB (32 K UTF-16 characters); notices are small, stay far below. */
const MAX_NOTICE_JSON = 30_000;
const MAX_STORED_ARRAY = 32;
/** Ever shorter caps until the stored JSON fits; control characters, escaped as \uXXXX, take six each. */
const STRING_CAPS = [4_000, 1_000, 250, 60];

function capDeep(value: unknown, max: number): unknown {
  if (typeof value === 'string') return cap(value, max);
  if (Array.isArray(value)) return value.slice(0, MAX_STORED_ARRAY).map((item) => capDeep(item, max));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, capDeep(item, max)]));
  }
  return value;
}

/**
 * `value` as JSON of at most `maxChars`: every string capped (a cut string ends with an ellipsis) and arrays
 * at 32 entries, capped harder until it fits; undefined when even the hardest caps do not fit.
 */
export function fitJson(value: unknown, maxChars: number): string | undefined {
  for (const max of STRING_CAPS) {
    const json = JSON.stringify(capDeep(value, max));
    if (json.length <= maxChars) return json;
  }
  return undefined;
}

/**
 * The notice as stored, fitted to one table property (renderers show far less than is kept). Never throws
 * for size: a sender who controls a name and a subject must not be able to keep their invitation out of chat.
 */
export function compactNotice(notice: Notice): string {
  // Unreachable for the notices the gatekeeper builds; keep what identifies it if a future field is huge.
  const { id, kind, at, mode } = notice;
  const decided = 'decision' in notice ? { decision: notice.decision, outcome: notice.outcome } : {};
  return fitJson(notice, MAX_NOTICE_JSON) ?? JSON.stringify(capDeep({ id, kind, at, mode, ...decided }, 60));
}
