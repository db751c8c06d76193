import { OriginNotAllowedError, UcwaError, type UcwaErrorBody } from './errors.js';
import type { UcwaRequest, UcwaResponse } from './transport.js';

/** What an answer says: its body, and the typed error for an exchange that failed. */

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json/i;

/** Parsed JSON for JSON bodies (undefined when malformed), raw text otherwise, undefined when empty. */
export function parseBody(headers: Headers, text: string): unknown {
  if (!text) return undefined;
  if (!JSON_TYPE.test(headers.get('content-type') ?? '')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A JSON answer whose body did not parse (a front end under stress). */
export function isMalformedJson(response: UcwaResponse): boolean {
  return (
    response.text !== '' &&
    JSON_TYPE.test(response.headers.get('content-type') ?? '') &&
    response.body === undefined
  );
}

export function toUcwaError(
  request: UcwaRequest,
  response: UcwaResponse,
  retryAfterMs: number | undefined,
): UcwaError {
  const body = response.body;
  const ucwaBody =
    typeof body === 'object' && body !== null && typeof (body as UcwaErrorBody).code === 'string'
      ? (body as UcwaErrorBody)
      : undefined;
  return new UcwaError({
    status: response.status,
    method: request.method,
    href: request.url,
    ...(ucwaBody ? { body: ucwaBody } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

export function headerValues(headers: Headers, name: string): string[] {
  const value = headers.get(name);
  return value ? [value] : [];
}

export function isConnectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === 'ECONNREFUSED';
}

/** A transport failure for messages: a timeout, or the message with the socket's code. */
export function describeFailure(error: unknown): string {
  if (error instanceof OriginNotAllowedError) return error.message;
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (error.name === 'TimeoutError') return 'timed out';
    return cause?.code ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}
