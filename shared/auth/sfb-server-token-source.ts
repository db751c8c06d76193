import { z } from 'zod';
import { OriginPolicy } from '../ucwa/origin-policy.js';
import type { AccessToken, TokenRequest, TokenSource } from '../ucwa/token-source.js';
import { type AuthLog, consoleAuthLog, filteredLog } from './auth-log.js';
import { TokenSourceError } from './errors.js';
import type { SfbServerModeOptions } from './options.js';
import { tokenOrigin } from './scopes.js';

const tokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
});

/** Error codes the MsRtcOAuth endpoint documents; anything else is reported by HTTP status only. */
const KNOWN_ERRORS = new Set([
  'invalid_request',
  'invalid_grant',
  'unsupported_grant_type',
  'invalid_scope',
  'server_error',
  'unauthorized_client',
]);

/**
 * The password goes to a URL the UCWA server named in its 401 challenge, so that URL must be one the UCWA
 * origin allow-list admits — `UCWA_ALLOWED_ORIGINS`, or the discovery origin and its domain (OriginPolicy,
 * where a registrable domain comes from the public-suffix list, never from dropping labels) — and https
 * unless on a loopback address. Without a discovery URL, the UCWA origin itself stands in for it.
 */
export function isTrustedTokenEndpoint(
  href: string,
  origin: string,
  allowList: { discoveryUrl?: string | undefined; allowedOrigins?: readonly string[] | undefined } = {},
): boolean {
  try {
    return new OriginPolicy({
      discoveryUrl: allowList.discoveryUrl ?? origin,
      ...(allowList.allowedOrigins ? { allowedOrigins: allowList.allowedOrigins } : {}),
    }).allows(href);
  } catch {
    return false;
  }
}

interface CachedToken {
  token: string;
  expiresOn: number;
  renewAt: number;
}

/**
 * Tokens from Skype for Business Server's own OAuth endpoint (`MsRtcOAuth href=...`), password grant.
 * The endpoint comes from the 401 challenge; the source remembers it per UCWA origin and caches each
 * endpoint's token until shortly before it expires.
 */
export class SfbServerTokenSource implements TokenSource {
  readonly #options: SfbServerModeOptions;
  readonly #log: AuthLog;
  readonly #endpointByOrigin = new Map<string, string>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<CachedToken>>();
  readonly #now: () => number;

  constructor(options: SfbServerModeOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#log = filteredLog(options.log ?? consoleAuthLog, options.logLevel ?? 'warning', [options.password]);
  }

  async getToken(request: TokenRequest): Promise<AccessToken> {
    const origin = tokenOrigin(request.origin);
    const endpoint = this.#endpointFor(origin, request);
    const cached = this.#tokens.get(endpoint);
    if (!request.forceRefresh && cached && cached.renewAt > this.#now()) {
      return { token: cached.token, expiresOn: cached.expiresOn };
    }
    const key = `${request.forceRefresh ? 'force' : 'normal'} ${endpoint}`;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#requestToken(endpoint, origin).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    const fresh = await pending;
    return { token: fresh.token, expiresOn: fresh.expiresOn };
  }

  #endpointFor(origin: string, request: TokenRequest): string {
    const challenge = request.challenge;
    if (
      challenge?.grantTypes &&
      challenge.grantTypes.length > 0 &&
      !challenge.grantTypes.includes('password')
    ) {
      throw new TokenSourceError(
        'unsupported_grant_type',
        `The server's token endpoint does not offer the password grant (offers: ${challenge.grantTypes.join(', ')}).`,
        origin,
      );
    }
    const href = challenge?.msRtcOAuthHref ?? this.#endpointByOrigin.get(origin);
    if (!href) {
      throw new TokenSourceError(
        'no_token_endpoint',
        `No MsRtcOAuth token endpoint is known for ${origin}; it comes from the server's 401 challenge.`,
        origin,
      );
    }
    if (!isTrustedTokenEndpoint(href, origin, this.#options)) {
      throw new TokenSourceError(
        'untrusted_token_endpoint',
        `Refusing to send credentials to the token endpoint named by ${origin}: it is outside the UCWA origin allow-list or not https.`,
        origin,
      );
    }
    const endpoint = new URL(href).href;
    this.#endpointByOrigin.set(origin, endpoint);
    return endpoint;
  }

  async #requestToken(endpoint: string, origin: string): Promise<CachedToken> {
    const body = new URLSearchParams({
      grant_type: 'password',
      username: this.#options.username,
      password: this.#options.password,
    });
    const fetchImpl = this.#options.fetch ?? fetch;
    let response: Response;
    try {
      response = await fetchImpl(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
          accept: 'application/json',
        },
        body: body.toString(),
        // A redirect would carry the password to wherever the server points: refuse it.
        redirect: 'error',
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 15_000),
      });
    } catch {
      this.#log('error', `token request to ${new URL(endpoint).origin} failed: network error`);
      throw new TokenSourceError(
        'network_error',
        `The token endpoint for ${origin} could not be reached.`,
        origin,
      );
    }
    const payload: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const error = (payload as { error?: unknown } | undefined)?.error;
      const code = typeof error === 'string' && KNOWN_ERRORS.has(error) ? error : `http_${response.status}`;
      this.#log('warning', `token endpoint for ${origin} refused the request: ${code}`);
      throw new TokenSourceError(
        code,
        `Skype for Business Server refused the token request for ${origin} (${code}, HTTP ${response.status}).`,
        origin,
      );
    }
    const parsed = tokenResponse.safeParse(payload);
    if (!parsed.success) {
      throw new TokenSourceError(
        'invalid_response',
        `The token endpoint for ${origin} sent no usable token.`,
        origin,
      );
    }
    const now = this.#now();
    const lifetimeMs = parsed.data.expires_in * 1000;
    const marginMs = Math.min((this.#options.refreshMarginSeconds ?? 300) * 1000, lifetimeMs / 10);
    const token: CachedToken = {
      token: parsed.data.access_token,
      expiresOn: now + lifetimeMs,
      renewAt: now + lifetimeMs - marginMs,
    };
    this.#tokens.set(endpoint, token);
    this.#log('info', `token for ${origin} ready (expires in ${parsed.data.expires_in} s)`);
    return token;
  }
}
