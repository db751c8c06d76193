/**
 * Message bodies travel as `data:` URIs in link hrefs (docs/ucwa-protocol.md §1). The task pages URL-encode with `+` for
 * spaces; the reference samples use base64.
 */
export function encodeDataUri(text: string, contentType: string, encoding: 'url' | 'base64' = 'url'): string {
  if (encoding === 'base64')
    return `data:${contentType};charset=utf-8;base64,${Buffer.from(text, 'utf8').toString('base64')}`;
  // URLSearchParams writes spaces as '+' and percent-encodes CR/LF and the rest, as in the ReceiveAnIM sample.
  return `data:${contentType};charset=utf-8,${new URLSearchParams({ t: text }).toString().slice(2)}`;
}

/** Decodes both forms; undefined when `href` is not a data URI. */
export function decodeDataUri(href: string): string | undefined {
  const match = /^data\s*:([^,]*),(.*)$/s.exec(href.trim());
  if (!match) return undefined;
  const meta = match[1] ?? '';
  const payload = match[2] ?? '';
  if (/;\s*base64\s*$/i.test(meta))
    return Buffer.from(payload.replace(/\s+/g, ''), 'base64').toString('utf8');
  try {
    return decodeURIComponent(payload.replace(/\+/g, ' '));
  } catch {
    return payload;
  }
}

/** ASP.NET AJAX date, as UCWA JSON writes it. */
export function ajaxDate(ms: number): string {
  return `/Date(${Math.round(ms)})/`;
}
