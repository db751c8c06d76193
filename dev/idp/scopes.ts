/** OpenID Connect scopes: they ask for an id token or a refresh token, not for access to a resource. */
export const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/** Where a scope without a resource prefix belongs, as in Azure AD (Microsoft Graph). */
export const GRAPH_RESOURCE = '00000003-0000-0000-c000-000000000000';

/** The Skype for Business Online delegated permissions, granted for `<resource>/.default`. */
export const DEFAULT_DELEGATED_SCOPES = [
  'User.ReadWrite',
  'Contacts.ReadWrite',
  'Conversations.Initiate',
  'Conversations.Receive',
  'Meetings.ReadWrite',
];

export interface RequestedScopes {
  oidc: string[];
  /** The one resource the token is for: the prefix of every non-OIDC scope. */
  resource?: string;
  /** Scope names without the resource prefix. */
  names: string[];
}

export type ScopeParseResult = { ok: true; scopes: RequestedScopes } | { ok: false; description: string };

/** Splits `https://host:port/Conversations.Receive openid ...` into resource, names and OIDC scopes. */
export function parseRequestedScopes(scope: string | null): ScopeParseResult {
  const oidc: string[] = [];
  const names: string[] = [];
  const resources = new Set<string>();
  for (const item of (scope ?? '').split(' ').filter(Boolean)) {
    if (OIDC_SCOPES.has(item)) {
      oidc.push(item);
      continue;
    }
    const slash = item.lastIndexOf('/');
    resources.add(slash > 0 ? item.slice(0, slash) : GRAPH_RESOURCE);
    names.push(slash > 0 ? item.slice(slash + 1) : item);
  }
  if (resources.size > 1) {
    return {
      ok: false,
      description:
        'AADSTS28000: Provided value for the input parameter scope is not valid because it contains more than one resource.',
    };
  }
  const [resource] = resources;
  return { ok: true, scopes: resource === undefined ? { oidc, names } : { oidc, resource, names } };
}
