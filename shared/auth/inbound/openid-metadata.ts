import { z } from 'zod';

const openIdConfiguration = z.object({
  issuer: z.string().min(1),
  jwks_uri: z.url(),
});

export interface OpenIdMetadata {
  issuer: string;
  jwksUri: string;
}

/** The metadata could not be fetched or does not describe the expected issuer. */
export class OpenIdMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenIdMetadataError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `issuer` is the v2 issuer of the configured tenant: `<authority host>/<tenant GUID>/v2.0`. Azure AD
 * names the GUID even when the tenant is configured by domain name (`contoso.onmicrosoft.com`), so the GUID is
 * taken from the metadata; a configured GUID must be that one.
 */
export function isTenantIssuer(issuer: string, authority: string, tenantId: string): boolean {
  const prefix = `${new URL(authority).origin}/`;
  if (!issuer.startsWith(prefix)) return false;
  const [tenant, version, ...rest] = issuer.slice(prefix.length).split('/');
  if (version !== 'v2.0' || rest.length > 0 || !tenant || !GUID.test(tenant)) return false;
  return !GUID.test(tenantId) || tenant.toLowerCase() === tenantId.toLowerCase();
}

/**
 * Reads `<authority>/v2.0/.well-known/openid-configuration` once and keeps it for `ttlMs` (default a day); its
 * issuer must name the tenant's GUID (isTenantIssuer). A failed read is not kept, so the next call tries again.
 */
export function openIdMetadataLoader(options: {
  /** `<authority host>/<tenant GUID or domain>`. */
  authority: string;
  tenantId: string;
  ttlMs?: number;
  fetch?: typeof fetch;
}): () => Promise<OpenIdMetadata> {
  const url = `${options.authority}/v2.0/.well-known/openid-configuration`;
  const ttlMs = options.ttlMs ?? 86_400_000;
  let cached: { value: Promise<OpenIdMetadata>; at: number } | undefined;

  async function load(): Promise<OpenIdMetadata> {
    const fetchImpl = options.fetch ?? fetch;
    let body: unknown;
    try {
      const response = await fetchImpl(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok)
        throw new OpenIdMetadataError(`OpenID configuration answered HTTP ${response.status}`);
      body = await response.json();
    } catch (error) {
      if (error instanceof OpenIdMetadataError) throw error;
      throw new OpenIdMetadataError('OpenID configuration could not be fetched');
    }
    const parsed = openIdConfiguration.safeParse(body);
    if (!parsed.success) throw new OpenIdMetadataError('OpenID configuration lacks issuer or jwks_uri');
    if (!isTenantIssuer(parsed.data.issuer, options.authority, options.tenantId)) {
      throw new OpenIdMetadataError('OpenID configuration names another issuer than the configured tenant');
    }
    const jwks = new URL(parsed.data.jwks_uri);
    if (jwks.protocol !== 'https:') throw new OpenIdMetadataError('jwks_uri must be https');
    return { issuer: parsed.data.issuer, jwksUri: jwks.href };
  }

  return () => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      const value = load();
      const entry = { value, at: Date.now() };
      cached = entry;
      value.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.value;
  };
}
