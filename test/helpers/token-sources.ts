import { randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { decodeJwt, type JWTPayload } from 'jose';
import type { IdentityProvider } from '../../dev/idp/index.js';
import type { AuthLog } from '../../shared/auth/auth-log.js';
import { BlobCachePlugin } from '../../shared/auth/blob-cache-plugin.js';
import { MsalTokenSource } from '../../shared/auth/msal-token-source.js';
import type { DeviceCodeModeOptions, PasswordModeOptions } from '../../shared/auth/options.js';
import { PUBLIC_CLIENT_ID, SERVICE_ACCOUNT } from './identity-provider.js';

/** A UCWA-looking origin; nothing listens there (the token is only minted for it). */
export function ucwaOrigin(label = randomUUID().slice(0, 8)): string {
  return `https://${label}.ucwa.test:4443`;
}

export const CACHE_BLOB = 'gatekeeper/cache.json';

export function cachePlugin(container: ContainerClient, log?: AuthLog): BlobCachePlugin {
  return new BlobCachePlugin({ container, blobName: CACHE_BLOB, ...(log ? { log } : {}) });
}

const quiet: AuthLog = () => {};

/** A password-mode token source against `idp`, caching in `container` when given. */
export function passwordTokenSource(
  idp: IdentityProvider,
  container?: ContainerClient,
  overrides: Partial<PasswordModeOptions> = {},
): MsalTokenSource {
  return new MsalTokenSource({
    mode: 'password',
    tenantId: idp.tenant,
    clientId: PUBLIC_CLIENT_ID,
    authorityHost: idp.authorityHost,
    username: SERVICE_ACCOUNT.username,
    password: SERVICE_ACCOUNT.password,
    log: quiet,
    ...(container ? { cachePlugin: cachePlugin(container, overrides.log) } : {}),
    ...overrides,
  });
}

export function deviceCodeTokenSource(
  idp: IdentityProvider,
  container: ContainerClient,
  overrides: Partial<DeviceCodeModeOptions> = {},
): MsalTokenSource {
  return new MsalTokenSource({
    mode: 'device-code',
    tenantId: idp.tenant,
    clientId: PUBLIC_CLIENT_ID,
    authorityHost: idp.authorityHost,
    log: quiet,
    cachePlugin: cachePlugin(container, overrides.log),
    ...overrides,
  });
}

export function claimsOf(token: string): JWTPayload {
  return decodeJwt(token);
}
