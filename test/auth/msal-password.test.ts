import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IdentityProvider } from '../../dev/idp/index.js';
import { TokenSourceError } from '../../shared/auth/errors.js';
import {
  CONFIDENTIAL_CLIENT,
  LIMITED_ACCOUNT,
  SERVICE_ACCOUNT,
  startTestIdentityProvider,
} from '../helpers/identity-provider.js';
import { claimsOf, passwordTokenSource, ucwaOrigin } from '../helpers/token-sources.js';

let idp: IdentityProvider;

beforeAll(async () => {
  idp = await startTestIdentityProvider();
});
afterAll(() => idp.close());
afterEach(() => {
  idp.clearRequests();
  idp.setAccessTokenLifetime(3600);
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('password mode (MSAL username/password flow)', () => {
  it('gets a token for the UCWA origin with a public client', async () => {
    const origin = ucwaOrigin();
    const source = passwordTokenSource(idp);
    const before = Date.now();

    const token = await source.getToken({ origin });

    const claims = claimsOf(token.token);
    expect(claims.aud).toBe(origin);
    expect(claims.iss).toBe(idp.issuer);
    expect(claims.preferred_username).toBe(SERVICE_ACCOUNT.username);
    expect(claims.azpacr).toBe('0');
    expect(token.scopes).toEqual(['Conversations.Initiate', 'Conversations.Receive', 'User.ReadWrite']);
    expect(token.expiresOn).toBeGreaterThanOrEqual(before + 3590_000);
    const grants = idp.requests({ endpoint: 'token' });
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({
      grantType: 'password',
      username: SERVICE_ACCOUNT.username,
      scope: expect.stringContaining(`${origin}/Conversations.Receive`),
    });
  });

  it('uses a confidential client when a client secret is set', async () => {
    const source = passwordTokenSource(idp, undefined, {
      clientId: CONFIDENTIAL_CLIENT.clientId,
      clientSecret: CONFIDENTIAL_CLIENT.clientSecret,
    });

    const token = await source.getToken({ origin: ucwaOrigin() });

    expect(claimsOf(token.token)).toMatchObject({ azp: CONFIDENTIAL_CLIENT.clientId, azpacr: '1' });
    expect(idp.requests({ endpoint: 'token' })).toMatchObject([
      { grantType: 'password', clientId: CONFIDENTIAL_CLIENT.clientId, status: 200 },
    ]);
  });

  it('serves a live token from memory and bypasses every cache on forceRefresh', async () => {
    const origin = ucwaOrigin();
    const source = passwordTokenSource(idp);
    const first = await source.getToken({ origin });

    expect(await source.getToken({ origin })).toBe(first);
    expect(idp.requests({ endpoint: 'token' })).toHaveLength(1);

    const refreshed = await source.getToken({ origin, forceRefresh: true });
    expect(refreshed.token).not.toBe(first.token);
    expect(idp.requests({ endpoint: 'token' }).map((request) => request.grantType)).toEqual([
      'password',
      'refresh_token',
    ]);
  });

  it('gets a separate token per origin, each with its own audience, from one sign-in', async () => {
    const source = passwordTokenSource(idp);
    const discovery = ucwaOrigin('lyncdiscover');
    const pool = ucwaOrigin('webpool');

    const [a, b] = [await source.getToken({ origin: discovery }), await source.getToken({ origin: pool })];

    expect(claimsOf(a.token).aud).toBe(discovery);
    expect(claimsOf(b.token).aud).toBe(pool);
    expect(a.token).not.toBe(b.token);
    // The second origin is served with the refresh token, not a second password sign-in.
    expect(idp.requests({ endpoint: 'token' }).map((request) => request.grantType)).toEqual([
      'password',
      'refresh_token',
    ]);
  });

  it('normalises the origin: a UCWA URL with path and query gets the token of its origin', async () => {
    const source = passwordTokenSource(idp);
    const origin = ucwaOrigin();
    const token = await source.getToken({ origin: `${origin}/ucwa/oauth/v1/applications?x=1` });
    expect(claimsOf(token.token).aud).toBe(origin);
  });

  it('requests User.ReadWrite too: reportMyActivity accepts no other scope', async () => {
    const source = passwordTokenSource(idp);
    const token = await source.getToken({ origin: ucwaOrigin() });
    expect(token.scopes).toEqual(['Conversations.Initiate', 'Conversations.Receive', 'User.ReadWrite']);
  });

  it('reports fewer scopes when the identity provider grants fewer than requested', async () => {
    const source = passwordTokenSource(idp, undefined, {
      username: LIMITED_ACCOUNT.username,
      password: LIMITED_ACCOUNT.password,
    });
    const token = await source.getToken({ origin: ucwaOrigin() });
    expect(token.scopes).toEqual(['Conversations.Initiate']);
    expect(claimsOf(token.token).scp).toBe('Conversations.Initiate');
  });

  it('refreshes with the refresh token once the access token has expired', async () => {
    idp.setAccessTokenLifetime(1);
    const origin = ucwaOrigin();
    const source = passwordTokenSource(idp);
    const first = await source.getToken({ origin });
    // Two seconds later on every clock here (MSAL's, the identity provider's, the source's): only Date is faked,
    // so the HTTP round trips still run on real timers.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2_000);
    // Truly expired (MSAL's own expiresOn is rounded to the second, so ask the token itself).
    expect((claimsOf(first.token).exp ?? 0) * 1000).toBeLessThan(Date.now());

    const second = await source.getToken({ origin });

    expect(second.token).not.toBe(first.token);
    expect(second.expiresOn).toBeGreaterThan(Date.now());
    expect(idp.requests({ endpoint: 'token' }).map((request) => request.grantType)).toEqual([
      'password',
      'refresh_token',
    ]);
  });

  it('signs in with the password again when the refresh token was revoked', async () => {
    const origin = ucwaOrigin();
    const source = passwordTokenSource(idp);
    await source.getToken({ origin });
    idp.revokeRefreshTokens(SERVICE_ACCOUNT.username);

    const token = await source.getToken({ origin, forceRefresh: true });

    expect(claimsOf(token.token).aud).toBe(origin);
    expect(
      idp.requests({ endpoint: 'token' }).map((request) => `${request.grantType} ${request.status}`),
    ).toEqual(['password 200', 'refresh_token 400', 'password 200']);
  });

  it('raises a typed error without the password when the password is wrong', async () => {
    const wrong = `${SERVICE_ACCOUNT.password}-wrong`;
    const source = passwordTokenSource(idp, undefined, { password: wrong });
    const error = await source.getToken({ origin: ucwaOrigin() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenSourceError);
    expect(error).toMatchObject({ code: 'invalid_grant' });
    expect(String((error as Error).message)).not.toContain(wrong);
    expect(JSON.stringify(error)).not.toContain(wrong);
  });

  it('raises a typed error without the secret when the client secret is wrong', async () => {
    const wrong = `${CONFIDENTIAL_CLIENT.clientSecret}-wrong`;
    const source = passwordTokenSource(idp, undefined, {
      clientId: CONFIDENTIAL_CLIENT.clientId,
      clientSecret: wrong,
    });
    const error = await source.getToken({ origin: ucwaOrigin() }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'TokenSourceError', code: 'invalid_client' });
    expect(String((error as Error).message)).not.toContain(wrong);
  });

  it('refuses an origin that is not http(s)', async () => {
    await expect(passwordTokenSource(idp).getToken({ origin: 'ftp://ucwa.test' })).rejects.toMatchObject({
      code: 'invalid_origin',
    });
  });

  it('trusts the custom authority explicitly and contacts no Microsoft host', async () => {
    const realFetch = globalThis.fetch;
    const urls: string[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return realFetch(input, init);
    });

    await passwordTokenSource(idp).getToken({ origin: ucwaOrigin() });

    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url.startsWith(`${idp.authorityHost}/${idp.tenant}/`)).toBe(true);
    expect(urls[0]).toBe(idp.openIdConfigurationUrl);
  });
});
