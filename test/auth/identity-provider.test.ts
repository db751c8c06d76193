import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProvider } from '../../dev/idp/index.js';
import { createBearerVerifier, GatekeeperRole } from '../../shared/auth/inbound/index.js';
import {
  CONFIDENTIAL_CLIENT,
  PUBLIC_CLIENT_ID,
  SERVICE_ACCOUNT,
  startTestIdentityProvider,
} from '../helpers/identity-provider.js';

let idp: IdentityProvider;
const CALLER = {
  clientId: 'event-source-app',
  clientSecret: `s-${crypto.randomUUID()}`,
  appRoles: [GatekeeperRole.EventsSend],
};

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  idp.addClient(CALLER);
});
afterAll(() => idp.close());

async function token(form: Record<string, string>) {
  const response = await fetch(idp.tokenEndpoint, { method: 'POST', body: new URLSearchParams(form) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('local identity provider', () => {
  it('publishes Azure-AD-shaped metadata and a JWKS without alg (RS256 and PS256 both verify)', async () => {
    const configuration = (await (await fetch(idp.openIdConfigurationUrl)).json()) as Record<string, unknown>;
    expect(configuration).toMatchObject({
      issuer: `${idp.authorityHost}/${idp.tenant}/v2.0`,
      jwks_uri: `${idp.authorityHost}/${idp.tenant}/discovery/v2.0/keys`,
      token_endpoint: idp.tokenEndpoint,
      device_authorization_endpoint: idp.deviceCodeEndpoint,
      authorization_endpoint: expect.any(String),
    });
    const jwks = (await (await fetch(idp.jwksUri)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toEqual([
      { kty: 'RSA', use: 'sig', kid: idp.activeKid, n: expect.any(String), e: 'AQAB' },
    ]);
  });

  it('answers another tenant with an error', async () => {
    const response = await fetch(`${idp.authorityHost}/other-tenant/v2.0/.well-known/openid-configuration`);
    expect(response.status).toBe(400);
  });

  it('issues user tokens with aud = resource origin, scp without prefix, client_info and an id token', async () => {
    const { status, body } = await token({
      grant_type: 'password',
      client_id: PUBLIC_CLIENT_ID,
      username: SERVICE_ACCOUNT.username,
      password: SERVICE_ACCOUNT.password,
      scope: 'https://pool.ucwa.test:4443/Conversations.Receive openid profile offline_access',
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      scope: 'https://pool.ucwa.test:4443/Conversations.Receive openid profile offline_access',
      expires_in: 3600,
      refresh_token: expect.any(String),
    });
    const access = decodeJwt(String(body.access_token));
    expect(access).toMatchObject({
      aud: 'https://pool.ucwa.test:4443',
      scp: 'Conversations.Receive',
      tid: idp.tenant,
    });
    expect(decodeProtectedHeader(String(body.access_token))).toMatchObject({
      alg: 'RS256',
      kid: idp.activeKid,
      typ: 'JWT',
    });
    const idToken = decodeJwt(String(body.id_token));
    expect(idToken).toMatchObject({
      aud: PUBLIC_CLIENT_ID,
      preferred_username: SERVICE_ACCOUNT.username,
      tid: idp.tenant,
    });
    expect(JSON.parse(Buffer.from(String(body.client_info), 'base64url').toString())).toEqual({
      uid: idToken.oid,
      utid: idp.tenant,
    });
  });

  it('rotates refresh tokens: a used one is refused', async () => {
    const first = await token({
      grant_type: 'password',
      client_id: PUBLIC_CLIENT_ID,
      username: SERVICE_ACCOUNT.username,
      password: SERVICE_ACCOUNT.password,
      scope: 'https://a.test/Conversations.Receive offline_access',
    });
    const refresh = (refreshToken: unknown) =>
      token({
        grant_type: 'refresh_token',
        client_id: PUBLIC_CLIENT_ID,
        refresh_token: String(refreshToken),
        scope: 'https://b.test/Conversations.Receive offline_access',
      });
    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(decodeJwt(String(second.body.access_token)).aud).toBe('https://b.test');
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(await refresh(first.body.refresh_token)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
  });

  it('refuses scopes of two resources in one request, wrong passwords and bad client secrets', async () => {
    const base = {
      grant_type: 'password',
      username: SERVICE_ACCOUNT.username,
      password: SERVICE_ACCOUNT.password,
    };
    expect(
      await token({ ...base, client_id: PUBLIC_CLIENT_ID, scope: 'https://a.test/X https://b.test/Y' }),
    ).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(
      await token({ ...base, client_id: PUBLIC_CLIENT_ID, password: 'nope', scope: 'https://a.test/X' }),
    ).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(
      await token({
        ...base,
        client_id: CONFIDENTIAL_CLIENT.clientId,
        client_secret: 'nope',
        scope: 'https://a.test/X',
      }),
    ).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await token({ ...base, client_id: 'unknown-app', scope: 'https://a.test/X' })).toMatchObject({
      status: 400,
      body: { error: 'unauthorized_client' },
    });
  });

  it('issues app tokens with roles (client credentials) that the inbound verifier accepts', async () => {
    const { status, body } = await token({
      grant_type: 'client_credentials',
      client_id: CALLER.clientId,
      client_secret: CALLER.clientSecret,
      scope: 'api://gatekeeper/.default',
    });
    expect(status).toBe(200);
    const verifier = createBearerVerifier({
      tenantId: idp.tenant,
      authorityHost: idp.authorityHost,
      audience: 'api://gatekeeper',
    });
    const result = await verifier.verify(`Bearer ${String(body.access_token)}`, {
      anyRole: [GatekeeperRole.EventsSend],
    });
    expect(result).toMatchObject({
      ok: true,
      caller: { clientId: CALLER.clientId, roles: [GatekeeperRole.EventsSend] },
    });
  });

  it('keeps a request log without secrets', async () => {
    const log = JSON.stringify(idp.requests());
    expect(log).toContain('"endpoint":"token"');
    expect(log).not.toContain(SERVICE_ACCOUNT.password);
    expect(log).not.toContain(CALLER.clientSecret);
  });
});
