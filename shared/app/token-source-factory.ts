import type { AuthLog, AuthLogLevel } from '../auth/auth-log.js';
import { DEFAULT_AUTHORITY_HOST } from '../auth/authority.js';
import { BlobCachePlugin, tokenCacheBlobName } from '../auth/blob-cache-plugin.js';
import { MsalTokenSource } from '../auth/msal-token-source.js';
import type { DeviceCodeModeOptions, TokenSourceOptions } from '../auth/options.js';
import { SfbServerTokenSource } from '../auth/sfb-server-token-source.js';
import { required, type Settings, SettingsError } from '../config.js';
import { storageTargetFromEnv } from '../store/storage.js';
import type { TokenSource } from '../ucwa/token-source.js';
import { tokenCacheContainer } from './cache-storage.js';

/** The token source for `options.mode`. Builds objects only: the first request happens on `getToken`. */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  return options.mode === 'sfb-server' ? new SfbServerTokenSource(options) : new MsalTokenSource(options);
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
  const container = tokenCacheContainer(
    storageTargetFromEnv({ ...env, AzureWebJobsStorage: settings.AzureWebJobsStorage }),
    extras.cacheContainer,
  );
  const username = settings.UCWA_USERNAME;
  const cachePlugin = container
    ? new BlobCachePlugin({
        container,
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
