import { describe, expect, it } from 'vitest';
import {
  createTokenSourceFromSettings,
  deviceCodeOptionsFromSettings,
  LazyMsalTokenSource,
  tokenSourceOptionsFromSettings,
} from '../../shared/app/token-source-factory.js';
import { BlobCachePlugin } from '../../shared/auth/blob-cache-plugin.js';
import { MsalTokenSource } from '../../shared/auth/msal-token-source.js';
import { SfbServerTokenSource } from '../../shared/auth/sfb-server-token-source.js';
import { parseSettings, SettingsError } from '../../shared/config.js';

const AZURE = {
  AZURE_TENANT_ID: 'tenant-1',
  AZURE_CLIENT_ID: 'client-1',
  UCWA_USERNAME: 'gk@contoso.com',
  UCWA_PASSWORD: 'pw-not-real',
};

describe('token source options from settings', () => {
  it('password mode: confidential when a secret is set, blob cache from AzureWebJobsStorage', async () => {
    const settings = parseSettings({
      ...AZURE,
      AZURE_CLIENT_SECRET: 's',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    });
    const options = tokenSourceOptionsFromSettings(settings, {});
    expect(options).toMatchObject({
      mode: 'password',
      tenantId: 'tenant-1',
      clientId: 'client-1',
      clientSecret: 's',
      username: 'gk@contoso.com',
      authorityHost: 'https://login.microsoftonline.com',
    });
    expect(options.mode !== 'sfb-server' && options.cachePlugin).toBeInstanceOf(BlobCachePlugin);
    // MSAL loads with the first token request, not with the runtime.
    const source = createTokenSourceFromSettings(settings, {});
    expect(source).toBeInstanceOf(LazyMsalTokenSource);
    expect(await (source as LazyMsalTokenSource).load()).toBeInstanceOf(MsalTokenSource);
  });

  it('password mode without storage keeps the cache in memory', () => {
    const options = tokenSourceOptionsFromSettings(parseSettings(AZURE), {});
    expect(options).toMatchObject({ mode: 'password' });
    expect('cachePlugin' in options).toBe(false);
  });

  it('names the missing setting, never a value', () => {
    const attempt = () =>
      tokenSourceOptionsFromSettings(parseSettings({ ...AZURE, UCWA_PASSWORD: undefined }), {});
    expect(attempt).toThrow(SettingsError);
    expect(attempt).toThrow(/UCWA_PASSWORD/);
    expect(() => tokenSourceOptionsFromSettings(parseSettings({ AUTH_MODE: 'password' }), {})).toThrow(
      /AZURE_TENANT_ID/,
    );
  });

  it('device-code mode needs the blob cache, identity-based storage will do', () => {
    const settings = parseSettings({ ...AZURE, AUTH_MODE: 'device-code', UCWA_PASSWORD: undefined });
    expect(() => tokenSourceOptionsFromSettings(settings, {})).toThrow(/AzureWebJobsStorage/);
    const options = tokenSourceOptionsFromSettings(settings, {
      AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net',
    });
    expect(options).toMatchObject({ mode: 'device-code', username: 'gk@contoso.com' });
  });

  it('auth:login uses device-code options whatever AUTH_MODE says', () => {
    const settings = parseSettings({ ...AZURE, AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    expect(deviceCodeOptionsFromSettings(settings, {}).mode).toBe('device-code');
  });

  it('sfb-server mode needs only the account, and passes the UCWA origin allow-list on', () => {
    const settings = parseSettings({
      AUTH_MODE: 'sfb-server',
      UCWA_USERNAME: 'CONTOSO\\gk',
      UCWA_PASSWORD: 'pw',
      UCWA_DISCOVERY_URL: 'https://lyncdiscover.contoso.com/autodiscover/autodiscoverservice.svc/root',
      UCWA_ALLOWED_ORIGINS: 'https://sts.contoso.com',
    });
    expect(tokenSourceOptionsFromSettings(settings, {})).toEqual({
      mode: 'sfb-server',
      username: 'CONTOSO\\gk',
      password: 'pw',
      discoveryUrl: 'https://lyncdiscover.contoso.com/autodiscover/autodiscoverservice.svc/root',
      allowedOrigins: ['https://sts.contoso.com'],
    });
    expect(createTokenSourceFromSettings(settings, {})).toBeInstanceOf(SfbServerTokenSource);
  });
});
