export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** Hosts MSAL already knows (public and sovereign clouds); any other host is custom and trusted explicitly. */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoft.com',
  'login.windows.net',
  'sts.windows.net',
  'login.microsoftonline.us',
  'login.usgovcloudapi.net',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
  'login.microsoftonline.de',
]);

export interface AuthorityConfig {
  /** `<host>/<tenant>` for MSAL's `auth.authority`. */
  authority: string;
  /**
   * For a custom host: `[host:port]`. MSAL then trusts it without asking Microsoft's instance discovery and
   * reads its endpoints from `<authority>/v2.0/.well-known/openid-configuration`. Empty for Microsoft hosts.
   */
  knownAuthorities: string[];
  /** `<host>/<tenant>/v2.0`: the issuer of v2 access tokens. */
  issuer: string;
}

export function isMicrosoftAuthorityHost(authorityHost: string): boolean {
  return MICROSOFT_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
}

export function authorityConfig(authorityHost: string | undefined, tenantId: string): AuthorityConfig {
  const host = new URL(authorityHost ?? DEFAULT_AUTHORITY_HOST);
  const base = `${host.protocol}//${host.host}`;
  return {
    authority: `${base}/${tenantId}`,
    // `host` keeps a non-default port: MSAL matches knownAuthorities against host:port.
    knownAuthorities: isMicrosoftAuthorityHost(base) ? [] : [host.host],
    issuer: `${base}/${tenantId}/v2.0`,
  };
}
