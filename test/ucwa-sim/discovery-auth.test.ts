import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { type Body, Client, startSim } from './helpers.js';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** Raw headers, to see that the two WWW-Authenticate challenges are two header lines. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; raw: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, raw: res.rawHeaders, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function challenges(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]?.toLowerCase() === 'www-authenticate') out.push(raw[i + 1] ?? '');
  return out;
}

async function passwordGrant(
  origin: string,
  form: Record<string, string>,
  type = 'application/x-www-form-urlencoded;charset=UTF-8',
) {
  const response = await fetch(`${origin}/WebTicket/oauthtoken`, {
    method: 'POST',
    headers: { 'Content-Type': type },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

describe('discovery', () => {
  it('hops through two redirects, each on another origin, to a root with user and xframe', async () => {
    sim = await startSim({ discoveryRedirects: 2 });
    expect(sim.origins.discovery).toHaveLength(3);
    expect(new Set([...sim.origins.discovery, sim.origins.pool]).size).toBe(4);

    let url = sim.discoveryUrl;
    const seen: string[] = [];
    let root: Body;
    for (;;) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      root = await response.json();
      seen.push(new URL(url).origin);
      if (!root._links.redirect) break;
      expect(Object.keys(root._links)).toEqual(['redirect']);
      url = root._links.redirect.href;
    }
    expect(seen).toEqual(sim.origins.discovery);
    expect(root.rel).toBe('root');
    expect(Object.keys(root._links).sort()).toEqual(['self', 'user', 'xframe']);

    const userUrl = new URL(root._links.user.href, url).toString();
    expect(userUrl).toContain('/oauth/user?originalDomain=contoso.com');
    const challenged = await rawGet(userUrl);
    expect(challenged.status).toBe(401);
    const [bearer, msRtc] = challenges(challenged.raw);
    expect(challenges(challenged.raw)).toHaveLength(2);
    expect(bearer).toBe(
      'Bearer trusted_issuers="00000002-0000-0ff1-ce00-000000000000@contoso.com", client_id="00000004-0000-0ff1-ce00-000000000000", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"',
    );
    const last = sim.origins.discovery[2];
    expect(msRtc).toBe(
      `MsRtcOAuth href="${last}/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"`,
    );
    const contentType =
      challenged.raw[challenged.raw.findIndex((h) => h.toLowerCase() === 'content-type') + 1];
    expect(contentType).toMatch(/^text\/html/);

    const token = await passwordGrant(last ?? '', {
      grant_type: 'password',
      ...sim.credentials,
      username: sim.credentials.username,
    });
    const user = await fetch(userUrl, { headers: { Authorization: `Bearer ${token.body.access_token}` } });
    expect(user.status).toBe(200);
    const userBody = (await user.json()) as Body;
    expect(userBody._links.applications.href).toBe(`${sim.origins.pool}/ucwa/oauth/v1/applications`);
    expect(userBody._links.self).toBeDefined();
    expect(userBody._links.xframe).toBeDefined();
  });

  it('can answer its roots with a 302 to the next hop instead of a redirect link', async () => {
    sim = await startSim({ discoveryRedirects: 1, discoveryRedirectsAs: 'http' });
    const first = await fetch(sim.discoveryUrl, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe(
      `${sim.origins.discovery[1]}/autodiscover/autodiscoverservice.svc/root`,
    );
    const last = (await (await fetch(first.headers.get('location') ?? '')).json()) as Body;
    expect(Object.keys(last._links).sort()).toEqual(['self', 'user', 'xframe']);
  });

  it('uses the reference shapes for the v1 family and can share the last discovery origin with the pool', async () => {
    sim = await startSim({ pathFamily: 'v1', separatePoolOrigin: false });
    expect(sim.origins.discovery).toEqual([sim.origins.pool]);
    const root = (await (await fetch(sim.discoveryUrl)).json()) as Body;
    expect(root._links.user.href).toBe(`${sim.origins.pool}/autodiscover/autodiscoverservice.svc/root/user`);
    const client = new Client(sim, sim.issueToken(), 'v1');
    const user = await client.get(new URL(root._links.user.href, sim.discoveryUrl).toString());
    expect(user.body._links.applications.href).toBe(`${sim.origins.pool}/ucwa/v1/applications`);
    // Paths of the other family do not exist.
    expect((await client.post(`${sim.origins.pool}/ucwa/oauth/v1/applications`, {})).status).toBe(404);
  });
});

describe('token endpoint', () => {
  it('grants a server-wide cwt token for the password grant and refuses the rest', async () => {
    sim = await startSim({ discoveryRedirects: 1 });
    const origin = sim.origins.discovery[1] ?? '';
    const ok = await passwordGrant(origin, { grant_type: 'password', ...sim.credentials });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 28800, ms_rtc_identityscope: 'local' });
    expect(ok.body.access_token).toMatch(/^cwt=/);

    const bad = await passwordGrant(origin, {
      grant_type: 'password',
      username: sim.credentials.username,
      password: 'nope',
    });
    expect(bad).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect((await passwordGrant(origin, { grant_type: 'client_credentials' })).body).toEqual({
      error: 'unsupported_grant_type',
    });
    expect(
      (await passwordGrant(origin, { grant_type: 'password', ...sim.credentials }, 'application/json')).body
        .error,
    ).toBe('invalid_request');

    // Valid on every origin: the pool accepts it, and so does the first discovery hop.
    const client = new Client(sim, ok.body.access_token);
    expect(
      (await client.post(client.applications, { culture: 'en-us', endpointId: 'a', userAgent: 'b' })).status,
    ).toBe(201);
  });
});

describe('bearer tokens', () => {
  it('answers 401 with both challenges for missing, unknown, expired, revoked and wrong-origin tokens', async () => {
    const clock = new ManualClock();
    sim = await startSim({ clock });
    const apps = `${sim.origins.pool}/ucwa/oauth/v1/applications`;
    const expectChallenge = async (token: string | undefined) => {
      const reply = await rawGet(apps, token ? { Authorization: `Bearer ${token}` } : {});
      expect(reply.status).toBe(401);
      expect(challenges(reply.raw)).toHaveLength(2);
      expect(challenges(reply.raw)[1]).toContain(`href="${sim?.origins.pool}/WebTicket/oauthtoken"`);
    };
    await expectChallenge(undefined);
    await expectChallenge('cwt=AAEBnotatoken');
    const short = sim.issueToken({ lifetimeSec: 0.02 });
    clock.advance(20);
    await expectChallenge(short);
    const elsewhere = sim.issueToken({ origin: sim.origins.discovery[0] ?? '' });
    await expectChallenge(elsewhere);
    const good = sim.issueToken({ origin: sim.origins.pool });
    expect(
      (await new Client(sim, good).post(apps, { culture: 'en-us', endpointId: 'e', userAgent: 'u' })).status,
    ).toBe(201);
    sim.revokeTokens();
    await expectChallenge(good);
  });

  it('accepts JWTs from a configured issuer: signature, iss, exp/nbf, aud = request origin, scopes from scp', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const issuer = 'https://sts.windows.net/tenant/';
    sim = await startSim({ tokens: { acceptJwt: [{ issuer, jwks: { keys: [jwk] } }] } });
    const pool = sim.origins.pool;
    const sign = (
      claims: Record<string, unknown>,
      opts: { exp?: string; key?: SigningKey; iss?: string } = {},
    ) =>
      new SignJWT({ scp: 'Conversations.Initiate Conversations.Receive', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(opts.iss ?? issuer)
        .setIssuedAt()
        .setExpirationTime(opts.exp ?? '10m')
        .sign(opts.key ?? privateKey);
    const status = async (token: string) =>
      (
        await new Client(sim as UcwaSimulator, token).post(`${pool}/ucwa/oauth/v1/applications`, {
          culture: 'en-us',
          endpointId: `e-${Math.random()}`,
          userAgent: 'u',
        })
      ).status;

    expect(await status(await sign({ aud: pool }))).toBe(201);
    expect(await status(await sign({ aud: `${pool}/` }))).toBe(201);
    expect(await status(await sign({ aud: [`https://other`, pool] }))).toBe(201);
    expect(await status(await sign({ aud: sim.origins.discovery[0] }))).toBe(401);
    expect(await status(await sign({ aud: pool }, { iss: 'https://evil/' }))).toBe(401);
    expect(await status(await sign({ aud: pool }, { exp: '-1m' }))).toBe(401);
    expect(await status(await sign({ aud: pool, nbf: Math.floor(Date.now() / 1000) + 600 }))).toBe(401);
    const otherKey = await generateKeyPair('ES256');
    expect(await status(await sign({ aud: pool }, { key: otherKey.privateKey }))).toBe(401);

    // Scopes come from scp: without Conversations.Receive, makeMeAvailable is refused.
    const initiateOnly = new Client(sim, await sign({ aud: pool, scp: 'Conversations.Initiate' }));
    const app = await initiateOnly.createApplication();
    const denied = await initiateOnly.makeMeAvailable(app);
    expect(denied.status).toBe(403);

    // Revocation covers JWTs seen so far.
    const seen = await sign({ aud: pool });
    expect(await status(seen)).toBe(201);
    sim.revokeTokens();
    expect(await status(seen)).toBe(401);
  });

  it('fetches signing keys from jwksUri', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'r1', alg: 'RS256', use: 'sig' }] };
    const keyServer: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    try {
      const jwksUri = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/keys`;
      sim = await startSim({ tokens: { acceptJwt: [{ issuer: 'iss-r', jwksUri }] } });
      const token = await new SignJWT({ scp: 'Conversations.Receive' })
        .setProtectedHeader({ alg: 'RS256', kid: 'r1' })
        .setIssuer('iss-r')
        .setAudience(sim.origins.pool)
        .setExpirationTime('5m')
        .sign(privateKey);
      const client = new Client(sim, token);
      expect(
        (await client.post(client.applications, { culture: 'en-us', endpointId: 'e', userAgent: 'u' }))
          .status,
      ).toBe(201);
    } finally {
      keyServer.closeAllConnections();
      await new Promise((resolve) => keyServer.close(resolve));
    }
  });
});

describe('scope enforcement', () => {
  it('does not scope-limit server OAuth tokens: they carry no scopes', async () => {
    sim = await startSim();
    const token = sim.issueToken({ scopes: ['Conversations.Initiate', 'Conversations.Receive'] });
    const client = new Client(sim, token);
    const app = await client.createApplication();
    expect((await client.makeMeAvailable(app)).status).toBe(204);
    const me = await client.get(app._embedded.me._links.self.href);
    expect(me.status).toBe(200);
    for (const rel of ['presence', 'note', 'location'])
      expect((await client.get(me.body._links[rel].href)).status).toBe(200);
    expect((await client.post(me.body._links.reportMyActivity.href)).status).toBe(204);
  });

  it('with scopedOpaqueTokens, refuses makeMeAvailable and the lobby without Conversations.Receive, and me without User.ReadWrite', async () => {
    sim = await startSim({ tokens: { scopedOpaqueTokens: true } });
    const meeting = sim.scenario.meeting({
      onlineMeetingUri: 'sip:o@contoso.com;gruu;opaque=app:conf:focus:id:S1',
    });
    const initiateOnly = new Client(sim, sim.issueToken({ scopes: ['Conversations.Initiate'] }));
    const app = await initiateOnly.createApplication();

    const mma = await initiateOnly.makeMeAvailable(app);
    expect(mma.status).toBe(403);
    expect(mma.headers.get('content-type')).toMatch(/^application\/json/);
    expect(mma.body).toMatchObject({ code: 'Forbidden', subcode: 'InsufficientScope' });
    expect(mma.body.message).toContain('Conversations.Receive');

    const join = await initiateOnly.post(app._embedded.communication._links.joinOnlineMeeting.href, {
      onlineMeetingUri: meeting.onlineMeetingUri,
    });
    expect(join.status).toBe(201);
    const conversation = (await initiateOnly.get(String(join.headers.get('location')))).body._links
      .conversation.href;
    const conv = await initiateOnly.get(conversation);
    expect(conv.status).toBe(403); // conversation itself needs Conversations.Receive
    const lobbyHref = conversation.replace(/$/, '/lobby');
    expect((await initiateOnly.get(lobbyHref)).status).toBe(403);

    const full = new Client(sim);
    expect((await full.get(app._embedded.me._links.self.href)).status).toBe(403);
    expect((await full.get(lobbyHref)).status).toBe(200);
    const withUser = new Client(sim, sim.issueToken({ scopes: ['User.ReadWrite'] }));
    expect((await withUser.get(app._embedded.me._links.self.href)).status).toBe(200);
    // Receive alone is enough for makeMeAvailable; Initiate is needed for joinOnlineMeeting.
    const receiveOnly = new Client(sim, sim.issueToken({ scopes: ['Conversations.Receive'] }));
    const app2 = await receiveOnly.createApplication({ endpointId: 'other' });
    expect((await receiveOnly.makeMeAvailable(app2)).status).toBe(204);
    expect(
      (
        await receiveOnly.post(app2._embedded.communication._links.joinOnlineMeeting.href, {
          onlineMeetingUri: meeting.onlineMeetingUri,
        })
      ).status,
    ).toBe(403);
  });
});
