import { TokenSourceError } from './errors.js';

/** The delegated permissions of the Skype for Business Online service principal that this project uses. */
export const UcwaScope = {
  ConversationsInitiate: 'Conversations.Initiate',
  ConversationsReceive: 'Conversations.Receive',
  UserReadWrite: 'User.ReadWrite',
} as const;

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/** `scheme://host[:port]` of an http(s) URL: the resource (audience) a UCWA token is issued for. */
export function resourceOrigin(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError(`not an http(s) origin: ${parsed.protocol}`);
  }
  return parsed.origin;
}

/** The origin a token is requested for, or a TokenSourceError when it is not an http(s) URL. */
export function tokenOrigin(url: string): string {
  try {
    return resourceOrigin(url);
  } catch {
    throw new TokenSourceError('invalid_origin', 'The token origin is not an http(s) URL.');
  }
}

/**
 * The scopes to request for `origin`: Initiate and Receive, and User.ReadWrite — the only scope
 * reportMyActivity accepts, without which the application expires (docs/ucwa-protocol.md §3.3, §4.3).
 */
export function ucwaScopes(origin: string): string[] {
  const names: string[] = [
    UcwaScope.ConversationsInitiate,
    UcwaScope.ConversationsReceive,
    UcwaScope.UserReadWrite,
  ];
  return names.map((name) => `${origin}/${name}`);
}

/**
 * The delegated scopes actually granted, without resource prefix: from the token's `scp` claim when it is
 * a JWT, else from the scopes MSAL recorded for the response.
 */
export function grantedScopes(
  accessToken: string,
  responseScopes: readonly string[],
  origin: string,
): string[] {
  const scp = jwtClaims(accessToken)?.scp;
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  // Not a JWT (an opaque token): what the token response said.
  const prefix = `${origin.toLowerCase()}/`;
  return responseScopes
    .filter((scope) => !OIDC_SCOPES.has(scope))
    .map((scope) => (scope.toLowerCase().startsWith(prefix) ? scope.slice(prefix.length) : scope));
}

/**
 * The claims of a signed JWT, unverified (only to read what was granted), or undefined when it is not one.
 * Decoded here rather than with jose, which the token path would otherwise load for these few lines.
 */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
