import type { AuthLog, AuthLogLevel } from '../auth/auth-log.js';
import { DEFAULT_AUTHORITY_HOST } from '../auth/authority.js';
import { BlobCachePlugin, tokenCacheBlobName } from '../auth/blob-cache-plugin.js';
import type { DeviceCodeModeOptions, MsalTokenSourceOptions, TokenSourceOptions } from '../auth/options.js';
import { SfbServerTokenSource } from '../auth/sfb-server-token-source.js';
import { required, type Settings, SettingsError } from '../config.js';
import { hasBlobStorage, storageTargetFromEnv } from '../store/storage.js';
import type { AccessToken, TokenRequest, TokenSource } from '../ucwa/token-source.js';

/**
 * The token source for `options.mode`. Builds objects only: the first request happens on `getToken`, and
 * MSAL (~0.6 MB) loads only then.
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  return options.mode === 'sfb-server' ? new SfbServerTokenSource(options) : new LazyMsalTokenSource(options);
}

/** MsalTokenSource, loaded on first use. */
export class LazyMsalTokenSource implements TokenSource {
  #loaded: Promise<TokenSource> | undefined;

  constructor(private readonly options: MsalTokenSourceOptions) {}

  load(): Promise<TokenSource> {
    this.#loaded ??= import('../auth/msal-token-source.js').then(
      ({ MsalTokenSource }) => new MsalTokenSource(this.options),
    );
    return this.#loaded;
  }

  async getToken(request: TokenRequest): Promise<AccessToken> {
    return (await this.load()).getToken(request);
  }
}

export interface FromSettingsExtras {
  log?: AuthLog;
  logLevel?: AuthLogLevel;
  /** Default `msal-cache`. */
  cacheContainer?: string;
}

/**
 * Maps settings (and the Functions host's storage variables in `env`) to token source options. Throws
 * SettingsError naming the first missing setting.
 */
export function tokenSourceOptionsFromSettings(
  settings: Settings,
  env: Record<string, string | undefined> = process.env,
  extras: FromSettingsExtras = {},
): TokenSourceOptions {
  const common = {
    ...(extras.log ? { log: extras.log } : {}),
    ...(extras.logLevel ? { logLevel: extras.logLevel } : {}),
  };
  if (settings.AUTH_MODE === 'sfb-server') {
    return {
      mode: 'sfb-server',
      username: required(settings, 'UCWA_USERNAME'),
      password: required(settings, 'UCWA_PASSWORD'),
      ...(settings.UCWA_DISCOVERY_URL ? { discoveryUrl: settings.UCWA_DISCOVERY_URL } : {}),
      ...(settings.UCWA_ALLOWED_ORIGINS ? { allowedOrigins: settings.UCWA_ALLOWED_ORIGINS } : {}),
      ...common,
    };
  }
  const tenantId = required(settings, 'AZURE_TENANT_ID');
  const clientId = required(settings, 'AZURE_CLIENT_ID');
  const authorityHost = settings.AZURE_AUTHORITY_HOST ?? DEFAULT_AUTHORITY_HOST;
  const storage = storageTargetFromEnv({ ...env, AzureWebJobsStorage: settings.AzureWebJobsStorage });
  const username = settings.UCWA_USERNAME;
  const cachePlugin = hasBlobStorage(storage)
    ? new BlobCachePlugin({
        // The Blob SDK loads with the first token request.
        container: async () => {
          const { tokenCacheContainer } = await import('./cache-storage.js');
          const container = tokenCacheContainer(storage, extras.cacheContainer);
          if (!container) throw new Error('unreachable: blob storage is configured');
          return container;
        },
        blobName: tokenCacheBlobName({
          authorityHost,
          tenantId,
          clientId,
          ...(username ? { username } : {}),
        }),
        ...(extras.log ? { log: extras.log } : {}),
      })
    : undefined;
  const msal = {
    tenantId,
    clientId,
    authorityHost,
    ...(cachePlugin ? { cachePlugin } : {}),
    ...common,
  };
  if (settings.AUTH_MODE === 'device-code') {
    if (!cachePlugin) {
      throw new SettingsError(
        'AzureWebJobsStorage',
        'is required in device-code mode: the sign-in from `npm run auth:login` is kept in blob storage',
      );
    }
    return { mode: 'device-code', ...msal, ...(username ? { username } : {}) };
  }
  return {
    mode: 'password',
    ...msal,
    username: required(settings, 'UCWA_USERNAME'),
    password: required(settings, 'UCWA_PASSWORD'),
    ...(settings.AZURE_CLIENT_SECRET ? { clientSecret: settings.AZURE_CLIENT_SECRET } : {}),
  };
}

/** Device-code options for `npm run auth:login`, whatever AUTH_MODE says. */
export function deviceCodeOptionsFromSettings(
  settings: Settings,
  env: Record<string, string | undefined> = process.env,
  extras: FromSettingsExtras = {},
): DeviceCodeModeOptions {
  const options = tokenSourceOptionsFromSettings({ ...settings, AUTH_MODE: 'device-code' }, env, extras);
  if (options.mode !== 'device-code') throw new Error('unreachable: AUTH_MODE was forced to device-code');
  return options;
}

/** The token source the settings describe. */
export function createTokenSourceFromSettings(
  settings: Settings,
  env: Record<string, string | undefined> = process.env,
  extras: FromSettingsExtras = {},
): TokenSource {
  return createTokenSource(tokenSourceOptionsFromSettings(settings, env, extras));
}
