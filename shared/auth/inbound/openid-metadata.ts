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

/**
 * Reads `<authority>/v2.0/.well-known/openid-configuration` once and keeps it for `ttlMs` (default a day).
 * A failed read is not kept, so the next call tries again.
 */
export function openIdMetadataLoader(options: {
  authority: string;
  expectedIssuer: string;
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
    if (parsed.data.issuer !== options.expectedIssuer) {
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
