import { STATUS_CODES } from 'node:http';
import type { HeaderValue, SimResponse } from './http-types.js';

/** One request carried by a `multipart/batching` part (docs/ucwa-protocol.md §11). */
export interface BatchPartRequest {
  method: string;
  target: string;
  /** The MIME headers of the part (Content-Type, Content-Transfer-Encoding, …), lower-case names. */
  mimeHeaders: Record<string, string>;
  /** The headers of the HTTP request the part carries, lower-case names. */
  headers: Record<string, string>;
  body: string;
}

export type ParsedBatch =
  | { ok: true; parts: (BatchPartRequest | { error: string })[] }
  | { ok: false; error: string };

const REQUEST_LINE = /^([A-Za-z]+)\s+(\S+)\s+HTTP\/\d(?:\.\d)?\s*$/;

export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return match?.[1] ?? match?.[2];
}

/**
 * Parses a batch body leniently: CRLF or LF, part headers such as Content-Transfer-Encoding ignored, stray
 * lines before the request line and before a JSON body skipped, a missing closing `--` tolerated.
 */
export function parseBatch(body: string, boundary: string): ParsedBatch {
  const lines = body.split(/\r?\n/);
  const delimiter = `--${boundary}`;
  const chunks: string[][] = [];
  let current: string[] | undefined;
  let closed = false;
  for (const line of lines) {
    const trimmed = line.trimEnd();
    if (trimmed === delimiter || trimmed === `${delimiter}--`) {
      if (current) chunks.push(current);
      if (trimmed.endsWith('--')) {
        closed = true;
        current = undefined;
        break;
      }
      current = [];
    } else if (current) current.push(line);
  }
  if (current && !closed) chunks.push(current);
  // A closing delimiter written without its trailing `--` (one doc example) opens an empty last part: ignore it.
  const parts = chunks.filter((chunk) => chunk.some((line) => line.trim() !== ''));
  if (parts.length === 0) return { ok: false, error: `no part delimited by --${boundary}` };
  return { ok: true, parts: parts.map(parsePart) };
}

function parsePart(lines: string[]): BatchPartRequest | { error: string } {
  const start = lines.findIndex((line) => REQUEST_LINE.test(line.trim()));
  if (start < 0) return { error: 'no HTTP request line in this part' };
  const mimeHeaders = headerMap(lines.slice(0, start));
  const match = REQUEST_LINE.exec(lines[start]?.trim() ?? '');
  const method = match?.[1]?.toUpperCase() ?? 'GET';
  const target = match?.[2] ?? '/';
  let index = start + 1;
  while (index < lines.length && (lines[index] ?? '').trim() !== '') index++;
  const headers = headerMap(lines.slice(start + 1, index));
  let bodyLines = lines.slice(index + 1);
  while (bodyLines.length > 0 && (bodyLines[bodyLines.length - 1] ?? '').trim() === '')
    bodyLines = bodyLines.slice(0, -1);
  if ((headers['content-type'] ?? '').includes('json')) {
    const first = bodyLines.findIndex((line) => /^\s*[{[]/.test(line));
    if (first > 0) bodyLines = bodyLines.slice(first);
  }
  return { method, target, mimeHeaders, headers, body: bodyLines.join('\r\n') };
}

function headerMap(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function headerLines(headers: Record<string, HeaderValue>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : [value]) out.push(`${name}: ${item}`);
  }
  return out;
}

/** `multipart/batching` answer: one `application/http; msgtype=response` part per request, in request order. */
export function serializeBatch(responses: SimResponse[], boundary: string): string {
  const parts = responses.map((response) => {
    const body = response.body === undefined ? '' : response.body.toString();
    const lines = [
      `--${boundary}`,
      'Content-Type: application/http; msgtype=response',
      '',
      `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}`,
      ...headerLines(response.headers),
      '',
      body,
    ];
    return lines.join('\r\n');
  });
  return `${parts.join('\r\n')}\r\n--${boundary}--\r\n`;
}
