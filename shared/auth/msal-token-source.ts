import { createHash } from 'node:crypto';
import { type AccountInfo, type AuthenticationResult, InteractionRequiredAuthError } from '@azure/msal-node';
import type { AccessToken, TokenRequest, TokenSource } from '../ucwa/token-source.js';
import { type AuthLog, consoleAuthLog, filteredLog } from './auth-log.js';
import { errorCode, SignInRequiredError, TokenSourceError } from './errors.js';
import { createMsalApp, type MsalApp } from './msal-app.js';
import type { MsalTokenSourceOptions } from './options.js';
import { grantedScopes, tokenOrigin, ucwaScopes } from './scopes.js';

const REFRESH_REJECTED_CODES = new Set([
  'invalid_grant',
  'no_tokens_found',
  'bad_token',
  'refresh_token_expired',
]);

/** The refresh token was refused or is missing: sign-in has to happen again (password grant or operator). */
function isRefreshRejected(error: unknown): boolean {
  return error instanceof InteractionRequiredAuthError || REFRESH_REJECTED_CODES.has(errorCode(error));
}

export function toAccessToken(result: AuthenticationResult, origin: string): AccessToken {
  const token: AccessToken = {
    token: result.accessToken,
    scopes: grantedScopes(result.accessToken, result.scopes, origin),
  };
  if (result.expiresOn) token.expiresOn = result.expiresOn.getTime();
  return token;
}

/**
 * Azure AD tokens for UCWA through MSAL, one per UCWA origin (the origin is the token's audience).
 * `password` mode signs in with the service account's credentials whenever no refresh token works;
 * `device-code` mode relies on the refresh token an operator's `npm run auth:login` left in the cache.
 */
export class MsalTokenSource implements TokenSource {
  readonly #options: MsalTokenSourceOptions;
  readonly #log: AuthLog;
  readonly #reuseMarginMs: number;
  readonly #memo = new Map<string, AccessToken>();
  readonly #inflight = new Map<string, Promise<AccessToken>>();
  #app: MsalApp | undefined;
  readonly #now: () => number;

  constructor(options: MsalTokenSourceOptions) {
    this.#options = options;
    const secrets = options.mode === 'password' ? [options.password, options.clientSecret] : [];
    this.#log = filteredLog(options.log ?? consoleAuthLog, options.logLevel ?? 'warning', secrets);
    this.#reuseMarginMs = (options.reuseMarginSeconds ?? 300) * 1000;
    this.#now = options.now ?? Date.now;
  }

  async getToken(request: TokenRequest): Promise<AccessToken> {
    const origin = tokenOrigin(request.origin);
    const forceRefresh = request.forceRefresh === true;
    const memo = this.#memo.get(origin);
    if (
      !forceRefresh &&
      memo?.expiresOn !== undefined &&
      memo.expiresOn - this.#now() > this.#reuseMarginMs
    ) {
      return memo;
    }
    // Concurrent callers for one origin share one acquisition.
    const key = `${forceRefresh ? 'force' : 'normal'} ${origin}`;
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const acquisition = this.#acquire(origin, forceRefresh).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, acquisition);
    return acquisition;
  }

  /** Built on first use: construction reads no setting and sends nothing, but keep even that lazy. */
  get #msal(): MsalApp {
    if (!this.#app) {
      // Only password mode may be a confidential client, whatever else the options object holds.
      const { clientSecret, ...common } = this.#options as MsalTokenSourceOptions & { clientSecret?: string };
      const secret = this.#options.mode === 'password' ? clientSecret : undefined;
      this.#app = createMsalApp(secret ? { ...common, clientSecret: secret } : common, this.#log);
    }
    return this.#app;
  }

  async #acquire(origin: string, forceRefresh: boolean): Promise<AccessToken> {
    const scopes = ucwaScopes(origin);
    let result: AuthenticationResult | null;
    try {
      result = (await this.#silent(scopes, forceRefresh)) ?? (await this.#signIn(scopes, origin));
    } catch (error) {
      if (error instanceof TokenSourceError) throw error;
      const code = errorCode(error);
      this.#log('error', `token acquisition for ${origin} failed: ${code}`);
      throw new TokenSourceError(code, `Could not get a token for ${origin} (${code}).`, origin);
    }
    if (!result) {
      throw new TokenSourceError(
        'no_result',
        `The identity provider returned no token for ${origin}.`,
        origin,
      );
    }
    const token = toAccessToken(result, origin);
    this.#memo.set(origin, token);
    this.#log('info', `token for ${origin} ready (${result.fromCache ? 'cache' : 'identity provider'})`);
    return token;
  }

  /** Silent acquisition from the cache; null when there is no account or its refresh token was refused. */
  async #silent(scopes: string[], forceRefresh: boolean): Promise<AuthenticationResult | null> {
    let account = await this.#account();
    if (!account) return null;
    let refreshTokens = this.#refreshTokenFingerprint();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#msal.acquireTokenSilent({ account, scopes, forceRefresh });
      } catch (error) {
        if (!isRefreshRejected(error)) throw error;
        this.#log('info', `silent acquisition refused (${errorCode(error)}), attempt ${attempt}`);
        if (attempt >= 3 || !this.#options.cachePlugin) return null;
      }
      // A refused refresh token may only mean that another instance used and rotated it a moment ago. Its
      // successor shows up in the persisted cache once that instance has written it: wait for that briefly.
      const changed = await this.#awaitNewRefreshToken(refreshTokens);
      account = changed?.account;
      if (!changed || !account) return null;
      refreshTokens = changed.fingerprint;
    }
  }

  /** Re-reads the cache for up to ~1 s until its refresh tokens differ from `previous`. */
  async #awaitNewRefreshToken(
    previous: string,
  ): Promise<{ account: AccountInfo | undefined; fingerprint: string } | undefined> {
    for (const delayMs of [0, 50, 150, 300, 500]) {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const account = await this.#account();
      const fingerprint = this.#refreshTokenFingerprint();
      if (fingerprint !== previous) return { account, fingerprint };
    }
    return undefined;
  }

  /** A digest of the refresh tokens in memory: tells a rotated token from the refused one, never logged. */
  #refreshTokenFingerprint(): string {
    const serialized = JSON.parse(this.#msal.getTokenCache().serialize()) as { RefreshToken?: unknown };
    return createHash('sha256')
      .update(JSON.stringify(serialized.RefreshToken ?? {}))
      .digest('hex');
  }

  async #account(): Promise<AccountInfo | undefined> {
    const accounts = await this.#msal.getTokenCache().getAllAccounts();
    const username = this.#options.username?.toLowerCase();
    if (username) return accounts.find((account) => account.username.toLowerCase() === username);
    return accounts.length === 1 ? accounts[0] : undefined;
  }

  async #signIn(scopes: string[], origin: string): Promise<AuthenticationResult | null> {
    const options = this.#options;
    if (options.mode === 'device-code') {
      throw new SignInRequiredError(
        'The token cache holds no usable sign-in for the service account (missing, expired or revoked refresh token).',
        origin,
      );
    }
    this.#log('info', `signing in with the service account's password for ${origin}`);
    return this.#msal.acquireTokenByUsernamePassword({
      scopes,
      username: options.username,
      password: options.password,
    });
  }
}
