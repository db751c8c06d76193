/** A decoded `data:` URI, as UCWA carries message bodies (docs/ucwa-protocol.md §1). */
export interface DataUri {
  mediaType: string;
  charset: string;
  text: string;
}

/**
 * Decode `data:[<type>][;charset=..][;base64],<data>`. UCWA uses both base64 and URL encoding with `+` for
 * spaces; charsets Node cannot decode fall back to UTF-8. Returns undefined for anything that is not a data URI.
 */
export function decodeDataUri(uri: string): DataUri | undefined {
  if (!/^data:/i.test(uri)) return undefined;
  const comma = uri.indexOf(',');
  if (comma < 0) return undefined;
  const header = uri
    .slice(5, comma)
    .split(';')
    .map((part) => part.trim());
  const payload = uri.slice(comma + 1);
  const base64 = header.some((part) => part.toLowerCase() === 'base64');
  const mediaType = header[0] && !header[0].includes('=') ? header[0].toLowerCase() : 'text/plain';
  const charsetParam = header.find((part) => part.toLowerCase().startsWith('charset='));
  const charset = normaliseCharset(charsetParam?.slice('charset='.length) ?? 'utf-8');
  const bytes = base64 ? Buffer.from(payload.replace(/\s+/g, ''), 'base64') : percentDecode(payload);
  return { mediaType, charset, text: new TextDecoder(charset).decode(bytes) };
}

function normaliseCharset(raw: string): string {
  const name = raw.trim().replace(/^"|"$/g, '').toLowerCase();
  if (name === 'utf8') return 'utf-8';
  try {
    new TextDecoder(name);
    return name;
  } catch {
    return 'utf-8';
  }
}

/** Percent-decode to bytes, mapping `+` to a space; a stray `%` is kept as is instead of throwing. */
function percentDecode(text: string): Uint8Array {
  const out: number[] = [];
  const raw = Buffer.from(text.replace(/\+/g, ' '), 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] as number;
    if (byte === 0x25 && i + 2 < raw.length) {
      const hex = String.fromCharCode(raw[i + 1] as number, raw[i + 2] as number);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        out.push(Number.parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    out.push(byte);
  }
  return Uint8Array.from(out);
}

/** Encode text as UCWA does for outgoing messages: URL-encoded UTF-8. */
export function encodeDataUri(text: string, mediaType = 'text/plain'): string {
  return `data:${mediaType};charset=utf-8,${encodeURIComponent(text)}`;
}

/** Parse an ASP.NET AJAX date (`/Date(1474932024507)/`, optionally with an offset) or ISO 8601. */
export function parseUcwaDate(value: string): Date | undefined {
  const ajax = /^\\?\/Date\((-?\d+)(?:[+-]\d{4})?\)\\?\/$/.exec(value.trim());
  const date = ajax ? new Date(Number(ajax[1])) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
