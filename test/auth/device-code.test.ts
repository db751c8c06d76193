import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProvider } from '../../dev/idp/index.js';
import { type DeviceCodePrompt, signInWithDeviceCode } from '../../shared/auth/device-code-login.js';
import { SignInRequiredError, TokenSourceError } from '../../shared/auth/errors.js';
import { uniqueTestContainer } from '../helpers/blob-container.js';
import {
  LIMITED_ACCOUNT,
  PUBLIC_CLIENT_ID,
  SERVICE_ACCOUNT,
  startTestIdentityProvider,
} from '../helpers/identity-provider.js';
import { cachePlugin, claimsOf, deviceCodeTokenSource, ucwaOrigin } from '../helpers/token-sources.js';

let idp: IdentityProvider;

beforeAll(async () => {
  idp = await startTestIdentityProvider();
});
afterAll(() => idp.close());
afterEach(() => idp.clearRequests());

function loginOptions(container: ReturnType<typeof uniqueTestContainer>, username?: string) {
  return {
    tenantId: idp.tenant,
    clientId: PUBLIC_CLIENT_ID,
    authorityHost: idp.authorityHost,
    cachePlugin: cachePlugin(container),
    log: () => {},
    ...(username ? { username } : {}),
  };
}

/** The operator: completes the device code at the identity provider as `username`. */
function operator(username: string, prompts: DeviceCodePrompt[] = []) {
  return (prompt: DeviceCodePrompt) => {
    prompts.push(prompt);
    if (!idp.approveDeviceCode(prompt.userCode, username)) throw new Error('approval failed');
  };
}

describe('device-code mode', () => {
  it('bootstraps with `auth:login`, after which the token source works silently from the cache', async () => {
    const container = uniqueTestContainer('device');
    const prompts: DeviceCodePrompt[] = [];
    const discovery = ucwaOrigin('lyncdiscover');

    const signedIn = await signInWithDeviceCode(
      loginOptions(container),
      operator(SERVICE_ACCOUNT.username, prompts),
      {
        ucwaUrl: `${discovery}/autodiscover/autodiscoverservice.svc/root`,
      },
    );

    expect(signedIn).toEqual({ username: SERVICE_ACCOUNT.username });
    expect(prompts).toHaveLength(1);
    expect(prompts[0]?.verificationUri).toBe(idp.verificationUri);
    expect(prompts[0]?.message).toContain(prompts[0]?.userCode);

    const source = deviceCodeTokenSource(idp, container, { username: SERVICE_ACCOUNT.username });
    const pool = ucwaOrigin('webpool');
    const token = await source.getToken({ origin: pool });

    expect(claimsOf(token.token)).toMatchObject({ aud: pool, preferred_username: SERVICE_ACCOUNT.username });
    expect(token.scopes).toEqual(['Conversations.Initiate', 'Conversations.Receive', 'User.ReadWrite']);
    expect(idp.requests().map((request) => `${request.endpoint} ${request.grantType ?? ''}`.trim())).toEqual([
      'openid-configuration',
      'devicecode',
      'token device_code',
      'openid-configuration',
      'token refresh_token',
    ]);
  });

  it('completes a device code entered on the provider’s sign-in page, as an operator would', async () => {
    const container = uniqueTestContainer('device');
    const login = signInWithDeviceCode(loginOptions(container), async (prompt) => {
      const response = await fetch(prompt.verificationUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          user_code: prompt.userCode.toLowerCase(),
          username: SERVICE_ACCOUNT.username,
          password: SERVICE_ACCOUNT.password,
        }),
      });
      expect(await response.text()).toContain('Signed in');
    });
    await expect(login).resolves.toEqual({ username: SERVICE_ACCOUNT.username });
    expect(idp.requests({ endpoint: 'deviceauth' })).toMatchObject([
      { method: 'POST', status: 200, username: SERVICE_ACCOUNT.username },
    ]);
    // Polls before the approval are answered `authorization_pending`; the last one gets the tokens.
    expect(idp.requests({ endpoint: 'token' }).at(-1)).toMatchObject({
      grantType: 'device_code',
      status: 200,
    });
  });

  it('refuses a sign-in with another account than UCWA_USERNAME', async () => {
    const container = uniqueTestContainer('device');
    const error = await signInWithDeviceCode(
      loginOptions(container, SERVICE_ACCOUNT.username),
      operator(LIMITED_ACCOUNT.username),
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'TokenSourceError', code: 'wrong_account' });
  });

  it('reports a declined sign-in as a typed error', async () => {
    const container = uniqueTestContainer('device');
    const error = await signInWithDeviceCode(loginOptions(container), (prompt) => {
      idp.denyDeviceCode(prompt.userCode);
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenSourceError);
  });

  it('asks for `npm run auth:login` when nobody has signed in', async () => {
    const source = deviceCodeTokenSource(idp, uniqueTestContainer('device'));
    const error = await source.getToken({ origin: ucwaOrigin() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SignInRequiredError);
    expect(error).toMatchObject({ code: 'sign_in_required' });
    expect((error as Error).message).toContain('npm run auth:login');
    expect(idp.requests({ endpoint: 'token' })).toEqual([]);
  });

  it('asks for `npm run auth:login` once the refresh token was revoked, and never tries a password', async () => {
    const container = uniqueTestContainer('device');
    await signInWithDeviceCode(loginOptions(container), operator(SERVICE_ACCOUNT.username));
    const source = deviceCodeTokenSource(idp, container);
    const origin = ucwaOrigin();
    await source.getToken({ origin });
    idp.revokeRefreshTokens(SERVICE_ACCOUNT.username);
    idp.clearRequests();

    const error = await source.getToken({ origin, forceRefresh: true }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SignInRequiredError);
    expect((error as Error).message).toMatch(/refresh token.*npm run auth:login/s);
    expect((error as SignInRequiredError).origin).toBe(origin);
    // One refused refresh; no retry storm, no password grant.
    expect(
      idp.requests({ endpoint: 'token' }).map((request) => `${request.grantType} ${request.status}`),
    ).toEqual(['refresh_token 400']);
  });
});
