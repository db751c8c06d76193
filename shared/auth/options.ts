import type { ICachePlugin, INetworkModule } from '@azure/msal-node';
import type { AuthLog, AuthLogLevel } from './auth-log.js';

/** Settings every token source shares. */
export interface CommonTokenSourceOptions {
  /** Diagnostics sink (already redacted); default warnings and errors to the console. */
  log?: AuthLog;
  /** Default `warning`. */
  logLevel?: AuthLogLevel;
  /** The clock (epoch ms) the source's own cache reads; default `Date.now`. */
  now?: () => number;
}

/** Azure AD (MSAL) settings shared by the `password` and `device-code` modes. */
export interface MsalCommonOptions extends CommonTokenSourceOptions {
  tenantId: string;
  clientId: string;
  /** Default https://login.microsoftonline.com. Any other host is trusted explicitly (knownAuthorities). */
  authorityHost?: string;
  /** Where MSAL's cache persists (see BlobCachePlugin); without one it lives in memory only. */
  cachePlugin?: ICachePlugin;
  /** A token is served from memory while it has more than this many seconds left; default 300. */
  reuseMarginSeconds?: number;
  /** Replaces MSAL's HTTP client (unit tests without TLS). */
  networkClient?: INetworkModule;
}

/** `AUTH_MODE=password`: MSAL username/password flow; confidential client when `clientSecret` is set. */
export interface PasswordModeOptions extends MsalCommonOptions {
  mode: 'password';
  username: string;
  password: string;
  clientSecret?: string;
}

/**
 * `AUTH_MODE=device-code`: an operator signs in once with `npm run auth:login`; afterwards tokens come only
 * from the persisted cache (refresh token). Always a public client: device code is a public-client flow.
 */
export interface DeviceCodeModeOptions extends MsalCommonOptions {
  mode: 'device-code';
  /** Picks the account in the cache; without it the cache must hold exactly one. */
  username?: string;
}

/** `AUTH_MODE=sfb-server`: Skype for Business Server's own OAuth endpoint (MsRtcOAuth challenge). */
export interface SfbServerModeOptions extends CommonTokenSourceOptions {
  mode: 'sfb-server';
  username: string;
  password: string;
  /**
   * The UCWA origin allow-list (`UCWA_DISCOVERY_URL`, `UCWA_ALLOWED_ORIGINS`, as the client's OriginPolicy):
   * the token endpoint a challenge names must be on it before the password goes there.
   */
  discoveryUrl?: string;
  allowedOrigins?: string[];
  /** Renew this long before expiry; default 300 s, at most a tenth of the token's lifetime. */
  refreshMarginSeconds?: number;
  /** Default 15 000. */
  timeoutMs?: number;
  /** Default the global fetch. */
  fetch?: typeof fetch;
}

export type MsalTokenSourceOptions = PasswordModeOptions | DeviceCodeModeOptions;
export type TokenSourceOptions = MsalTokenSourceOptions | SfbServerModeOptions;
