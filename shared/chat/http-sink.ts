import { parseRetryAfter } from '../lib/retry-after.js';
import type { Notice } from './notice.js';
import {
  assertSinkUrl,
  ChatConfigError,
  type ChatSink,
  type DeliveryResult,
  redactUrl,
  scrubUrl,
} from './sink.js';
import { cleanText } from './text.js';

/** A rendered request: the exact body to send and any extra headers (a signature, an idempotency key). */
export interface SinkRequest {
  body: string;
  headers?: Record<string, string>;
}

export interface HttpSinkOptions {
  /** Per-request timeout; the response body counts. Default 10 s. */
  timeoutMs?: number;
  /** Injected for tests. */
  fetch?: typeof fetch;
  /** Clock for Retry-After dates and signatures. */
  now?: () => number;
}

export interface HttpSinkInit extends HttpSinkOptions {
  name: string;
  /** For messages, e.g. `Teams webhook`. */
  label: string;
  url: string;
  render: (notice: Notice, nowMs: number) => SinkRequest;
}

export const DEFAULT_SINK_TIMEOUT_MS = 10_000;
const SNIPPET_CHARS = 200;
const USER_AGENT = 'ucwa-gatekeeper';

/** 408 and 429 and every 5xx may succeed later; any other non-2xx answer will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The start of a response body for an error message, without reading an unbounded body. */
async function readSnippet(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < SNIPPET_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  // A log line: one line, no control characters.
  return cleanText(text, SNIPPET_CHARS);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return detail ? `${error.message} (${detail})` : error.message;
}

/**
 * Posts rendered notices with `fetch`. 2xx is delivered; 408, 429, 5xx, timeouts and network errors are
 * retryable (with Retry-After when given); any other answer, redirects included, is permanent. Messages name
 * the target by scheme and host only: the rest of a webhook URL is its secret.
 */
export class HttpChatSink implements ChatSink {
  readonly name: string;
  readonly label: string;
  /** Scheme and host: safe to log. */
  readonly target: string;
  // Private fields stay out of util.inspect and JSON.stringify, so logging a sink never shows its URL.
  readonly #url: URL;
  readonly #render: HttpSinkInit['render'];
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #timeoutMs: number;

  constructor(init: HttpSinkInit) {
    if (!init.name) throw new ChatConfigError(`${init.label}: a sink needs a name`);
    this.name = init.name;
    this.label = init.label;
    this.#url = assertSinkUrl(init.url, init.label);
    this.target = redactUrl(this.#url);
    this.#render = init.render;
    this.#fetch = init.fetch ?? fetch;
    this.#now = init.now ?? Date.now;
    this.#timeoutMs = init.timeoutMs ?? DEFAULT_SINK_TIMEOUT_MS;
  }

  async deliver(notice: Notice): Promise<DeliveryResult> {
    const where = `${this.label} ${this.target}`;
    let request: SinkRequest;
    try {
      request = this.#render(notice, this.#now());
    } catch (error) {
      return { outcome: 'failed', message: `${where}: could not render notice: ${describe(error)}` };
    }
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await this.#fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...request.headers },
        body: request.body,
        signal: timeout,
        redirect: 'manual',
      });
      const status = response.status;
      if (status >= 200 && status < 300) {
        await response.body?.cancel().catch(() => undefined);
        return { outcome: 'delivered', httpStatus: status };
      }
      const snippet = scrubUrl(await readSnippet(response).catch(() => ''), this.#url);
      const message = `${where} answered ${status}${response.statusText ? ` ${response.statusText}` : ''}${snippet ? `: ${snippet}` : ''}`;
      if (isRetryableStatus(status)) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.#now());
        return {
          outcome: 'retry',
          message,
          httpStatus: status,
          ...(retryAfterMs !== undefined && { retryAfterMs }),
        };
      }
      const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
      return { outcome: 'failed', message: `${message}${redirect}`, httpStatus: status };
    } catch (error) {
      if (timeout.aborted) {
        return { outcome: 'retry', message: `${where} did not answer within ${this.#timeoutMs} ms` };
      }
      return { outcome: 'retry', message: `${where} unreachable: ${scrubUrl(describe(error), this.#url)}` };
    }
  }
}
