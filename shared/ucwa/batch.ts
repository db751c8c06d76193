import { randomUUID } from 'node:crypto';

/** One request inside a `multipart/batching` POST (docs/ucwa-protocol.md §11). */
export interface BatchRequestPart {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Absolute URL on the batch's own origin; the part carries its path and a Host header. */
  url: string;
  body?: string;
  contentType?: string;
}

export interface BatchResponsePart {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Parsed JSON when the part is JSON (garbage lines before the JSON are skipped), else undefined. */
  body: unknown;
}

const CRLF = '\r\n';

/**
 * Build a batch body with CRLF line ends, as MIME expects, each part with the headers the batching pages list
 * (docs/ucwa-protocol.md §11): MIME Content-Type and Content-Transfer-Encoding; Host, Accept, and
 * Content-Type/Content-Length for a body — Content-Length: 0 on a POST or PUT without one.
 */
export function buildBatch(parts: readonly BatchRequestPart[], boundary = `batch_${randomUUID()}`) {
  const lines: string[] = [];
  for (const part of parts) {
    const url = new URL(part.url);
    lines.push(
      `--${boundary}`,
      'Content-Type: application/http; msgtype=request',
      'Content-Transfer-Encoding: binary',
      '',
    );
    lines.push(
      `${part.method} ${url.pathname}${url.search} HTTP/1.1`,
      `Host: ${url.host}`,
      'Accept: application/json',
    );
    if (part.body !== undefined) lines.push(`Content-Type: ${part.contentType ?? 'application/json'}`);
    if (part.body !== undefined || part.method === 'POST' || part.method === 'PUT')
      lines.push(`Content-Length: ${Buffer.byteLength(part.body ?? '', 'utf8')}`);
    lines.push('', part.body ?? '');
  }
  lines.push(`--${boundary}--`, '');
  return { contentType: `multipart/batching;boundary=${boundary}`, body: lines.join(CRLF) };
}

/** The boundary parameter of a multipart Content-Type, quoted or not. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * Parse a `multipart/batching` response: each part an `application/http; msgtype=response` holding a full
 * HTTP response. Accepts CRLF and LF, a missing closing `--`, `Content-Transfer-Encoding`, and stray lines.
 */
export function parseBatch(contentType: string, text: string): BatchResponsePart[] {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw new Error('batch response without a multipart boundary');
  const delimiter = new RegExp(`^--${escapeRegExp(boundary)}(--)?[ \\t]*$`);
  const lines = text.split(/\r?\n/);
  const segments: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    const match = delimiter.exec(line);
    if (match) {
      if (current) segments.push(current);
      current = match[1] ? undefined : [];
      if (match[1]) break;
      continue;
    }
    current?.push(line);
  }
  if (current?.some((line) => line.trim())) segments.push(current);
  return segments.map(parsePart);
}

function parsePart(lines: string[]): BatchResponsePart {
  // Skip the part's MIME headers up to the HTTP status line.
  let at = lines.findIndex((line) => /^HTTP\/\d(?:\.\d)?\s*\d{3}/i.test(line.trim()));
  if (at < 0) throw new Error('batch part without an HTTP status line');
  const statusLine = (lines[at] ?? '').trim();
  const status = Number(/^HTTP\/\d(?:\.\d)?\s*(\d{3})/i.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (at++; at < lines.length; at++) {
    const line = lines[at] ?? '';
    if (!line.trim()) break;
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = lines.slice(at + 1);
  while (rest.length > 0 && !(rest[rest.length - 1] ?? '').trim()) rest.pop();
  const bodyText = rest.join('\n');
  return { status, headers, text: bodyText, body: parseJsonPart(headers['content-type'], bodyText) };
}

function parseJsonPart(contentType: string | undefined, text: string): unknown {
  if (!text.trim() || !/json/i.test(contentType ?? '')) return undefined;
  const start = text.search(/[[{]/);
  if (start < 0) return undefined;
  try {
    return JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
