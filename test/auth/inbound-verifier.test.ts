import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProvider } from '../../dev/idp/index.js';
import {
  type AccessRequirement,
  type BearerFailureReason,
  type BearerVerifier,
  type BearerVerifierOptions,
  createBearerVerifier,
  GatekeeperRole,
  OpenIdMetadataError,
  openIdMetadataLoader,
  type VerifiedCaller,
} from '../../shared/auth/inbound/index.js';
import { startTestIdentityProvider } from '../helpers/identity-provider.js';

const AUDIENCE = 'api://ucwa-gatekeeper-test';
const SEND: AccessRequirement = { anyRole: [GatekeeperRole.EventsSend] };

let idp: IdentityProvider;

beforeAll(async () => {
  idp = await startTestIdentityProvider();
});
afterAll(() => idp.close());

function verifierWithCounter(overrides: Partial<BearerVerifierOptions> = {}) {
  const failures: Array<{ reason: BearerFailureReason; status: number }> = [];
  const verifier = createBearerVerifier({
    tenantId: idp.tenant,
    authorityHost: idp.authorityHost,
    audience: AUDIENCE,
    // Refetch on every unknown kid: the tests rotate keys within seconds.
    jwksCooldownMs: 0,
    onFailure: (failure) => failures.push(failure),
    ...overrides,
  });
  return { verifier, failures };
}

function appToken(claims: JWTPayload = {}, options: Parameters<IdentityProvider['mintToken']>[1] = {}) {
  return idp.mintToken(
    { aud: AUDIENCE, sub: 'caller', azp: 'caller-app', roles: [GatekeeperRole.EventsSend], ...claims },
    options,
  );
}

/** What a Functions adapter does: verify, then run the handler or answer with the failure. */
function guarded(verifier: BearerVerifier, requirement: AccessRequirement) {
  const calls: VerifiedCaller[] = [];
  const handle = async (authorization: string | undefined) => {
    const result = await verifier.verify(authorization, requirement);
    if (!result.ok)
      return { status: result.failure.status, headers: result.failure.headers, body: result.failure.body };
    calls.push(result.caller);
    return { status: 200, headers: {} as Record<string, string>, body: { ok: true } };
  };
  return { handle, calls };
}

const now = () => Math.floor(Date.now() / 1000);

describe('inbound bearer verifier', () => {
  it('accepts a valid token with the required role and exposes the caller', async () => {
    const { verifier, failures } = verifierWithCounter();
    const result = await verifier.verify(`Bearer ${await appToken({ oid: 'o-1' })}`, SEND);
    expect(result).toMatchObject({
      ok: true,
      caller: {
        subject: 'caller',
        objectId: 'o-1',
        tenantId: idp.tenant,
        clientId: 'caller-app',
        roles: [GatekeeperRole.EventsSend],
      },
    });
    expect(failures).toEqual([]);
  });

  it('accepts PS256, a delegated scope instead of a role, and a token within the clock skew', async () => {
    const { verifier } = verifierWithCounter();
    expect((await verifier.verify(`Bearer ${await appToken({}, { alg: 'PS256' })}`, SEND)).ok).toBe(true);
    const delegated = await appToken({ roles: undefined, scp: 'Inspect.Read Gatekeeper.Inspect' });
    expect((await verifier.verify(`bearer ${delegated}`, { anyScope: ['Gatekeeper.Inspect'] })).ok).toBe(
      true,
    );
    const justExpired = await appToken({ exp: now() - 30 });
    expect((await verifier.verify(`Bearer ${justExpired}`, SEND)).ok).toBe(true);
  });

  const refusals: Array<[string, () => Promise<string | undefined>, BearerFailureReason, number, string]> = [
    ['no Authorization header', async () => undefined, 'missing_token', 401, 'invalid_request'],
    ['a Basic header', async () => 'Basic dXNlcjpwYXNz', 'malformed_header', 401, 'invalid_request'],
    [
      'an expired token',
      async () => `Bearer ${await appToken({ exp: now() - 120 })}`,
      'expired',
      401,
      'invalid_token',
    ],
    [
      'a token not valid yet',
      async () => `Bearer ${await appToken({ nbf: now() + 120 })}`,
      'not_yet_valid',
      401,
      'invalid_token',
    ],
    [
      'a token for another audience',
      async () => `Bearer ${await appToken({ aud: 'api://someone-else' })}`,
      'wrong_audience',
      401,
      'invalid_token',
    ],
    [
      'a token from another issuer',
      async () =>
        `Bearer ${await appToken({ iss: 'https://login.microsoftonline.com/another-tenant/v2.0' })}`,
      'wrong_issuer',
      401,
      'invalid_token',
    ],
    [
      'an unsigned token (alg none)',
      async () => `Bearer ${await appToken({}, { alg: 'none' })}`,
      'disallowed_algorithm',
      401,
      'invalid_token',
    ],
    [
      'HS256 signed with the public key',
      async () => `Bearer ${await appToken({}, { alg: 'HS256' })}`,
      'disallowed_algorithm',
      401,
      'invalid_token',
    ],
    [
      'a tampered payload',
      async () => {
        const [header, payload, signature] = (await appToken()).split('.');
        const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as JWTPayload;
        const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['Gatekeeper.Admin'] })).toString(
          'base64url',
        );
        return `Bearer ${header}.${forged}.${signature}`;
      },
      'invalid_signature',
      401,
      'invalid_token',
    ],
    ['garbage', async () => 'Bearer not.a.jwt', 'malformed_token', 401, 'invalid_token'],
    [
      'a token without exp',
      async () =>
        `Bearer ${await idp.mintToken({ aud: AUDIENCE, iss: idp.issuer, roles: [GatekeeperRole.EventsSend] }, { omitDefaults: true })}`,
      'invalid_claims',
      401,
      'invalid_token',
    ],
    [
      'a token without the required role',
      async () => `Bearer ${await appToken({ roles: [GatekeeperRole.Inspect] })}`,
      'insufficient_permission',
      403,
      'insufficient_scope',
    ],
  ];

  it.each(refusals)(
    'refuses %s without running the handler',
    async (_name, header, reason, status, error) => {
      const { verifier, failures } = verifierWithCounter();
      const { handle, calls } = guarded(verifier, SEND);

      const response = await handle(await header());

      expect(calls).toEqual([]);
      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.headers['www-authenticate']).toMatch(
        new RegExp(`^Bearer error="${error}", error_description="[^"]+"`),
      );
      expect(response.body).toMatchObject({ type: 'about:blank', status, error, detail: expect.any(String) });
      expect(failures).toEqual([{ reason, status }]);
    },
  );

  it('names the required roles in a 403 challenge', async () => {
    const { verifier } = verifierWithCounter();
    const result = await verifier.verify(`Bearer ${await appToken({ roles: [] })}`, {
      anyRole: [GatekeeperRole.Inspect, GatekeeperRole.EventsSend],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure.headers['www-authenticate']).toContain(
        'scope="Gatekeeper.Inspect Gatekeeper.Events.Send"',
      );
    }
  });

  it('refetches the JWKS once for an unknown kid, and accepts the key once it is published', async () => {
    const { verifier, failures } = verifierWithCounter();
    const jwksFetches = () => idp.requests({ endpoint: 'jwks' }).length;
    expect((await verifier.verify(`Bearer ${await appToken()}`, SEND)).ok).toBe(true);
    const afterFirst = jwksFetches();

    // Signed with a key nobody published yet: one refetch, still unknown, refused.
    const kid = await idp.addKey();
    const early = await appToken({}, { kid });
    const refused = await verifier.verify(`Bearer ${early}`, SEND);
    expect(refused).toMatchObject({ ok: false, failure: { status: 401, reason: 'unknown_key' } });
    expect(jwksFetches()).toBe(afterFirst + 1);

    // The provider publishes it (a rotation): the next unknown-kid miss refetches once and succeeds.
    idp.publishKey(kid);
    expect((await verifier.verify(`Bearer ${early}`, SEND)).ok).toBe(true);
    expect(jwksFetches()).toBe(afterFirst + 2);
    // Known from now on: no more fetches.
    expect((await verifier.verify(`Bearer ${await appToken({}, { kid })}`, SEND)).ok).toBe(true);
    expect(jwksFetches()).toBe(afterFirst + 2);
    expect(failures).toEqual([{ reason: 'unknown_key', status: 401 }]);
  });

  it('accepts tokens of the new key after a rotation, and refuses the old key once retired', async () => {
    const { verifier } = verifierWithCounter();
    const oldKid = idp.activeKid;
    const oldToken = await appToken();
    expect((await verifier.verify(`Bearer ${oldToken}`, SEND)).ok).toBe(true);

    await idp.rotateKeys();
    expect((await verifier.verify(`Bearer ${await appToken()}`, SEND)).ok).toBe(true);
    expect((await verifier.verify(`Bearer ${oldToken}`, SEND)).ok).toBe(true);

    // Retired keys drop out when the cached JWKS is refreshed (here: a fresh verifier).
    idp.retireKey(oldKid);
    const fresh = verifierWithCounter().verifier;
    expect(await fresh.verify(`Bearer ${oldToken}`, SEND)).toMatchObject({
      ok: false,
      failure: { reason: 'unknown_key' },
    });
  });

  it('does not refetch the JWKS for every unknown kid within the cool-down', async () => {
    const { verifier } = verifierWithCounter({ jwksCooldownMs: 30_000 });
    expect((await verifier.verify(`Bearer ${await appToken()}`, SEND)).ok).toBe(true);
    const fetches = idp.requests({ endpoint: 'jwks' }).length;
    const kid = await idp.addKey();
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await verifier.verify(`Bearer ${await appToken({}, { kid })}`, SEND);
      expect(result).toMatchObject({ ok: false, failure: { reason: 'unknown_key' } });
    }
    expect(idp.requests({ endpoint: 'jwks' }).length).toBe(fetches);
  });

  it('reads the issuer metadata once and answers 503 when the provider is unreachable', async () => {
    const { verifier } = verifierWithCounter();
    const configurations = () => idp.requests({ endpoint: 'openid-configuration' }).length;
    const before = configurations();
    await verifier.verify(`Bearer ${await appToken()}`, SEND);
    await verifier.verify(`Bearer ${await appToken()}`, SEND);
    expect(configurations()).toBe(before + 1);

    const { verifier: offline, failures } = verifierWithCounter({ authorityHost: 'https://127.0.0.1:1' });
    const result = await offline.verify(`Bearer ${await appToken()}`, SEND);
    expect(result).toMatchObject({
      ok: false,
      failure: {
        status: 503,
        reason: 'metadata_unavailable',
        headers: { 'content-type': 'application/problem+json', 'retry-after': '30' },
        body: { status: 503 },
      },
    });
    expect(failures).toEqual([{ reason: 'metadata_unavailable', status: 503 }]);
  });

  it.each([
    ['the tenant GUID', (provider: IdentityProvider) => provider.tenant],
    ['a domain name of the tenant', () => 'contoso.onmicrosoft.com'],
    ['a domain name in another case', () => 'Contoso.OnMicrosoft.com'],
  ])('takes the issuer from the metadata when AZURE_TENANT_ID is %s', async (_label, tenantId) => {
    const aliased = await startTestIdentityProvider({ domains: ['contoso.onmicrosoft.com'] });
    try {
      const verifier = createBearerVerifier({
        tenantId: tenantId(aliased),
        authorityHost: aliased.authorityHost,
        audience: AUDIENCE,
      });
      const token = await aliased.mintToken({ aud: AUDIENCE, roles: [GatekeeperRole.EventsSend], sub: 'x' });
      expect(await verifier.verify(`Bearer ${token}`, SEND)).toMatchObject({ ok: true });
      // A token that names the domain instead of the GUID is not Azure AD's: refused.
      const byDomain = await aliased.mintToken({
        aud: AUDIENCE,
        roles: [GatekeeperRole.EventsSend],
        iss: `${aliased.authorityHost}/contoso.onmicrosoft.com/v2.0`,
      });
      expect(await verifier.verify(`Bearer ${byDomain}`, SEND)).toMatchObject({
        ok: false,
        failure: { reason: 'wrong_issuer' },
      });
    } finally {
      await aliased.close();
    }
  });

  it('refuses metadata that does not name the configured tenant GUID', async () => {
    const other = '0b1e5f7a-0000-4000-8000-000000000001';
    const serving = (issuer: string) =>
      openIdMetadataLoader({
        authority: `https://login.example/${idp.tenant}`,
        tenantId: idp.tenant,
        fetch: async () => Response.json({ issuer, jwks_uri: 'https://login.example/keys' }),
      })();
    await expect(serving(`https://login.example/${idp.tenant}/v2.0`)).resolves.toMatchObject({
      issuer: `https://login.example/${idp.tenant}/v2.0`,
    });
    for (const issuer of [
      `https://login.example/${other}/v2.0`,
      'https://login.example/contoso.onmicrosoft.com/v2.0',
      `https://evil.example/${idp.tenant}/v2.0`,
      `https://login.example/${idp.tenant}/v2.0/extra`,
      `https://login.example/${idp.tenant}`,
    ])
      await expect(serving(issuer), issuer).rejects.toThrow(OpenIdMetadataError);
  });

  it('refuses to run without a requirement (fails closed)', async () => {
    const { verifier } = verifierWithCounter();
    await expect(verifier.verify(`Bearer ${await appToken()}`, {})).rejects.toThrow(TypeError);
  });
});
