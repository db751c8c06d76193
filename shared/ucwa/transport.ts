import { backoffDelay } from '../lib/backoff.js';
import { parseRetryAfter } from '../lib/retry-after.js';
import { sleep } from '../lib/sleep.js';
import { UcwaAuthError, UcwaTransportError } from './errors.js';
import { originOf } from './links.js';
import type { OriginPolicy } from './origin-policy.js';
import {
  describeFailure,
  headerValues,
  isConnectionRefused,
  isMalformedJson,
  parseBody,
  toUcwaError,
} from './response.js';
import { DEFAULT_RETRY, RETRYABLE_STATUS, type RetryPolicy } from './retry.js';
import { checkScopes } from './scopes.js';
import type { AccessToken, AuthChallenge, TokenSource } from './token-source.js';
import { parseChallenges } from './www-authenticate.js';

export interface TransportOptions {
  tokens: TokenSource;
  origins: OriginPolicy;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout for ordinary requests; the event channel passes its own. */
  timeoutMs?: number;
  /** Called once per HTTP round trip, for metrics and benchmarks. */
  onRoundTrip?: (info: RoundTrip) => void;
  random?: () => number;
}

export interface RoundTrip {
  method: string;
  url: string;
  status: number | 'network-error';
  ms: number;
}

export interface UcwaRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Absolute URL (resolve hrefs with `resolveHref` first). */
  url: string;
  /** JSON body (objects) or raw text. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  /** Send a bearer token (everything but the discovery root and its redirects). Default true. */
  auth?: boolean;
  /** Safe to repeat after a lost response: GET, or an operation whose effect the caller de-duplicates. */
  idempotent?: boolean;
  /** false: one attempt only (the caller has its own policy, e.g. splitting a throttled batch). Default true. */
  retry?: boolean;
  /** The UCWA resource name, for the scope check before sending (see scopes.ts). */
  resource?: string;
  /** `return`: hand 3xx answers back (discovery follows them itself); otherwise a 3xx is an error. */
  redirects?: 'return';
  timeoutMs?: number;
  /** The caller's, when it has one: every operation passes its optional `abortSignal` straight through. */
  signal?: AbortSignal | undefined;
}

export interface UcwaResponse {
  status: number;
  url: string;
  headers: Headers;
  /** Parsed JSON for JSON bodies, raw text otherwise, undefined when empty. */
  body: unknown;
  text: string;
}

/**
 * One UCWA HTTP exchange: origin allow-list, per-origin token with one forced refresh on 401, scope check,
 * timeouts, and bounded retries with full jitter for requests that are safe to repeat.
 */
export class UcwaTransport {
  private readonly fetchImpl: typeof fetch;
  private readonly retry: RetryPolicy;
  private readonly tokens = new Map<string, AccessToken>();
  private readonly challenges = new Map<string, AuthChallenge>();
  private lastChallenge: AuthChallenge | undefined;

  constructor(private readonly options: TransportOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /** Remember what a 401 said about where to get tokens for `origin` (discovery reads it unauthenticated). */
  noteChallenge(origin: string, challenge: AuthChallenge): void {
    this.challenges.set(origin, challenge);
    this.lastChallenge = challenge;
  }

  /** When the token held for `origin` expires (epoch ms), if known. */
  tokenExpiresOn(origin: string): number | undefined {
    return this.tokens.get(origin)?.expiresOn;
  }

  /** Scopes of the token currently held for `origin`, if known. */
  grantedScopes(origin: string): string[] | undefined {
    return this.tokens.get(origin)?.scopes;
  }

  async request(request: UcwaRequest): Promise<UcwaResponse> {
    this.options.origins.check(request.url);
    const origin = originOf(request.url);
    const auth = request.auth ?? true;
    const idempotent = request.idempotent ?? (request.method === 'GET' || request.method === 'DELETE');
    const maxAttempts = request.retry === false ? 1 : this.retry.maxAttempts;
    let refreshed = false;
    let probed = false;
    let attempt = 0;
    for (;;) {
      attempt++;
      let token: AccessToken | undefined;
      try {
        token = auth ? await this.token(origin, refreshed) : undefined;
      } catch (error) {
        // Skype for Business Server names its token endpoint only in a 401 challenge, which a fresh process
        // that starts by re-attaching a saved application has not heard yet: ask once without a token.
        if (probed || !needsChallenge(error)) throw error;
        probed = true;
      }
      if (token?.scopes && request.resource) checkScopes(request.resource, token.scopes);
      let response: UcwaResponse;
      try {
        response = await this.send(request, token);
      } catch (error) {
        if (request.signal?.aborted) throw error;
        // A request that never reached the server (refused connection) is always safe to repeat.
        const repeatable = idempotent || isConnectionRefused(error);
        if (repeatable && attempt < maxAttempts) {
          await sleep(this.pause(attempt), request.signal);
          continue;
        }
        throw new UcwaTransportError(
          { method: request.method, href: request.url, message: describeFailure(error), attempts: attempt },
          { cause: error },
        );
      }

      if (response.status === 401) {
        this.noteChallenge(origin, parseChallenges(headerValues(response.headers, 'www-authenticate')));
      }
      if (response.status === 401 && auth) {
        this.tokens.delete(origin);
        if (!refreshed) {
          refreshed = true;
          attempt--;
          continue;
        }
        throw new UcwaAuthError(origin, `UCWA refused a freshly acquired token for ${origin} (401 twice)`);
      }

      if (response.status >= 300 && response.status < 400 && request.redirects !== 'return') {
        // Only discovery follows redirects (docs/ucwa-protocol.md §2.2); a moved UCWA resource is an error.
        throw toUcwaError(request, response, undefined);
      }
      if (response.status >= 400) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        // 429 means nothing was executed, so even a POST may be repeated.
        const repeatable = idempotent || response.status === 429;
        const withinBudget = retryAfterMs === undefined || retryAfterMs <= this.retry.maxRetryAfterMs;
        if (repeatable && RETRYABLE_STATUS.has(response.status) && withinBudget && attempt < maxAttempts) {
          await sleep(retryAfterMs ?? this.pause(attempt), request.signal);
          continue;
        }
        throw toUcwaError(request, response, retryAfterMs);
      }

      if (isMalformedJson(response)) {
        // Malformed JSON from a front end under stress: repeat a safe request, otherwise report.
        if (idempotent && attempt < maxAttempts) {
          await sleep(this.pause(attempt), request.signal);
          continue;
        }
        throw new UcwaTransportError({
          method: request.method,
          href: request.url,
          message: 'malformed JSON in the response',
          attempts: attempt,
        });
      }
      return response;
    }
  }

  /** Full jitter before the retry that follows attempt `attempt` (from 1). */
  private pause(attempt: number): number {
    return backoffDelay(this.retry, attempt - 1, 'full', this.options.random);
  }

  private async token(origin: string, forceRefresh: boolean): Promise<AccessToken> {
    const cached = this.tokens.get(origin);
    if (
      cached &&
      !forceRefresh &&
      (cached.expiresOn === undefined || cached.expiresOn - 60_000 > Date.now())
    ) {
      return cached;
    }
    try {
      const challenge = this.challenges.get(origin) ?? this.lastChallenge;
      const token = await this.options.tokens.getToken({
        origin,
        ...(forceRefresh ? { forceRefresh } : {}),
        ...(challenge ? { challenge } : {}),
      });
      this.tokens.set(origin, token);
      return token;
    } catch (error) {
      if (error instanceof UcwaAuthError) throw error;
      throw new UcwaAuthError(origin, `No UCWA token for ${origin}: ${describeFailure(error)}`, {
        cause: error,
      });
    }
  }

  private async send(request: UcwaRequest, token: AccessToken | undefined): Promise<UcwaResponse> {
    const headers: Record<string, string> = {
      Accept: request.accept ?? 'application/json',
      ...request.headers,
    };
    let body: string | undefined;
    if (request.body !== undefined) {
      const isText = typeof request.body === 'string';
      body = isText ? (request.body as string) : JSON.stringify(request.body);
      headers['Content-Type'] =
        request.contentType ?? (isText ? 'text/plain; charset=utf-8' : 'application/json');
    } else if (request.method === 'POST' || request.method === 'PUT') {
      headers['Content-Length'] = '0';
    }
    if (token) headers.Authorization = `Bearer ${token.token}`;
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.options.timeoutMs ?? 30_000);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const started = performance.now();
    try {
      const response = await this.fetchImpl(request.url, {
        method: request.method,
        headers,
        ...(body !== undefined && { body }),
        signal,
        redirect: 'manual',
      });
      const text = await response.text();
      this.options.onRoundTrip?.({
        method: request.method,
        url: request.url,
        status: response.status,
        ms: performance.now() - started,
      });
      return {
        status: response.status,
        url: request.url,
        headers: response.headers,
        text,
        body: parseBody(response.headers, text),
      };
    } catch (error) {
      this.options.onRoundTrip?.({
        method: request.method,
        url: request.url,
        status: 'network-error',
        ms: performance.now() - started,
      });
      throw error;
    }
  }
}

function needsChallenge(error: unknown): boolean {
  return (error as { cause?: { code?: unknown } } | undefined)?.cause?.code === 'no_token_endpoint';
}
