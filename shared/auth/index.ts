export { type AuthLog, type AuthLogLevel, consoleAuthLog } from './auth-log.js';
export { authorityConfig, DEFAULT_AUTHORITY_HOST, isMicrosoftAuthorityHost } from './authority.js';
export {
  BlobCachePlugin,
  type BlobCachePluginOptions,
  DEFAULT_CACHE_CONTAINER,
  tokenCacheBlobName,
} from './blob-cache-plugin.js';
export { mergeSerializedCaches } from './cache-merge.js';
export {
  type DeviceCodeLoginOptions,
  type DeviceCodePrompt,
  signInWithDeviceCode,
} from './device-code-login.js';
export { SignInRequiredError, TokenSourceError } from './errors.js';
export { ManagedIdentityCredential } from './managed-identity-credential.js';
export { MsalTokenSource } from './msal-token-source.js';
export type {
  CommonTokenSourceOptions,
  DeviceCodeModeOptions,
  MsalCommonOptions,
  MsalTokenSourceOptions,
  PasswordModeOptions,
  SfbServerModeOptions,
  TokenSourceOptions,
} from './options.js';
export { createRedactor, redact } from './redact.js';
export { grantedScopes, resourceOrigin, UcwaScope, ucwaScopes } from './scopes.js';
export { isTrustedTokenEndpoint, SfbServerTokenSource } from './sfb-server-token-source.js';
