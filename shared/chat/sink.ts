import { isHttpsOrLoopback } from '../lib/loopback.js';
import type { Notice } from './notice.js';

/**
 * What the outbox delivers to. A sink never throws: it reports whether the notice arrived, should be tried
 * again later, or can never arrive (a permanent failure the outbox stops retrying).
 */
export interface ChatSink {
  /** Stable key of this destination in the outbox's delivery records, e.g. `teams`. */
  readonly name: string;
  /** Never cancelled from outside: a post cut short may still arrive, and would be sent again (its timeout bounds it). */
  deliver(notice: Notice): Promise<DeliveryResult>;
}

export type DeliveryResult =
  | { outcome: 'delivered'; httpStatus?: number }
  | { outcome: 'retry'; message: string; httpStatus?: number; retryAfterMs?: number }
  | { outcome: 'failed'; message: string; httpStatus?: number };

/** A sink that cannot be built from its settings; the message never contains the URL's secret parts. */
export class ChatConfigError extends Error {
  override name = 'ChatConfigError';
}

/**
 * Webhook URLs are secrets (the path or query is the credential): only scheme and host may appear in
 * messages and logs.
 */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '[invalid URL]';
  }
}

/**
 * Removes every secret part of `url` from `text` (a response body or error message may echo it): the whole
 * URL, its path and query, and any long path segment or query value on its own (a Slack token, a `sig`).
 */
export function scrubUrl(text: string, url: URL): string {
  const secrets = [url.href, `${url.pathname}${url.search}`, url.search.slice(1), url.pathname];
  for (const segment of url.pathname.split('/')) if (segment.length >= 12) secrets.push(segment);
  for (const value of url.searchParams.values()) if (value.length >= 8) secrets.push(value);
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 1) out = out.replaceAll(secret, '[redacted]');
  }
  return out;
}

/** https, or http on a loopback address; no user info. Throws ChatConfigError naming `label` only. */
export function assertSinkUrl(value: string, label: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ChatConfigError(`${label}: not a valid URL`);
  }
  if (!isHttpsOrLoopback(url)) {
    throw new ChatConfigError(
      `${label} ${redactUrl(url)}: must be an https URL (http is accepted only for loopback addresses)`,
    );
  }
  if (url.username || url.password) {
    throw new ChatConfigError(`${label} ${redactUrl(url)}: credentials in the URL are not supported`);
  }
  return url;
}
