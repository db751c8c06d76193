import { createHash } from 'node:crypto';
import type { RecordedEvent } from './types.js';

/**
 * The simulator's own request/response shapes. Real HTTP requests and batch parts are both turned into a
 * SimRequest and go through the same dispatcher, so a batch part behaves exactly like the request it wraps.
 */
export interface SimRequest {
  /** Upper-case method. */
  method: string;
  /** Path with query, as received. */
  target: string;
  url: URL;
  /** The listener origin the request arrived on (scheme://host:port). */
  origin: string;
  /** Lower-case header names; repeated headers joined with ', '. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  batchPart: boolean;
  /** Aborted when the client goes away before the answer (a P-GET the client gave up on). */
  signal: AbortSignal;
}

export type HeaderValue = string | string[];

export interface SimResponse {
  status: number;
  headers: Record<string, HeaderValue>;
  body?: string | Buffer;
  /** Destroy the connection instead of answering (fault injection). */
  drop?: boolean;
  /** The events an event-channel answer carries, for the request record. */
  events?: RecordedEvent[];
}

export const JSON_TYPE = 'application/json; charset=utf-8';
export const UCWA_JSON_TYPE = 'application/vnd.microsoft.com.ucwa+json; charset=utf-8';

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, HeaderValue> = {},
): SimResponse {
  return {
    status,
    headers: { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-cache', ...headers },
    body: JSON.stringify(body),
  };
}

export function emptyResponse(status: number, headers: Record<string, HeaderValue> = {}): SimResponse {
  return { status, headers: { 'Cache-Control': 'no-cache', ...headers } };
}

export function textResponse(status: number, contentType: string, body: string | Buffer): SimResponse {
  return { status, headers: { 'Content-Type': contentType, 'Cache-Control': 'no-cache' }, body };
}

export function header(req: SimRequest, name: string): string | undefined {
  return req.headers[name.toLowerCase()];
}

/** The media type without parameters, lower-case ('' when absent). */
export function mediaType(value: string | undefined): string {
  return (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function isJsonMediaType(value: string | undefined): boolean {
  const type = mediaType(value);
  return type === 'application/json' || type === 'application/vnd.microsoft.com.ucwa+json';
}

/** A GUID-looking entity tag derived from the representation, so it changes exactly when the body does. */
export function etagFor(body: string): string {
  const hex = createHash('sha1').update(body).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
