import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SfbServerModeOptions } from '../../shared/auth/options.js';
import { isTrustedTokenEndpoint, SfbServerTokenSource } from '../../shared/auth/sfb-server-token-source.js';
import { discoveryDomain } from '../../shared/ucwa/origin-policy.js';

const USERNAME = 'CONTOSO\\gatekeeper';
const PASSWORD = `pw-${crypto.randomUUID()}`;

interface SeenRequest {
  path: string;
  contentType: string | undefined;
  form: URLSearchParams;
}

/** A tiny MsRtcOAuth endpoint: `/WebTicket/oauthtoken` answers like Skype for Business Server. */
let server: Server;
let base: string;
const seen: SeenRequest[] = [];
let next: { status: number; body: unknown; location?: string } | undefined;
let tokenCounter = 0;

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const form = new URLSearchParams(await body(request));
    seen.push({ path: request.url ?? '', contentType: request.headers['content-type'], form });
    const answer = next ?? {
      status: 200,
      body: {
        access_token: `cwt=AAEB${++tokenCounter}HAAAAAAAAAAA`,
        token_type: 'Bearer',
        expires_in: 28_289,
        ms_rtc_identityscope: 'local',
      },
    };
    response.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(answer.location ? { location: answer.location } : {}),
    });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  seen.length = 0;
  next = undefined;
});

const ucwa = 'http://127.0.0.1:1';

function source(overrides: Partial<SfbServerModeOptions> = {}) {
  return new SfbServerTokenSource({
    mode: 'sfb-server',
    username: USERNAME,
    password: PASSWORD,
    log: () => {},
    ...overrides,
  });
}

function challenge(path = '/WebTicket/oauthtoken') {
  return {
    msRtcOAuthHref: `${base}${path}`,
    grantTypes: ['urn:microsoft.rtc:windows', 'urn:microsoft.rtc:anonmeeting', 'password'],
  };
}

describe('sfb-server mode (MsRtcOAuth password grant)', () => {
  it('posts a form-encoded password grant to the challenge’s endpoint and returns the cwt token', async () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    const token = await source({ now: () => now }).getToken({ origin: ucwa, challenge: challenge() });

    expect(token.token).toMatch(/^cwt=AAEB/);
    expect(token.expiresOn).toBe(now + 28_289_000);
    expect(token.scopes).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe('/WebTicket/oauthtoken');
    expect(seen[0]?.contentType).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(Object.fromEntries(seen[0]?.form ?? [])).toEqual({
      grant_type: 'password',
      username: USERNAME,
      password: PASSWORD,
    });
  });

  it('caches per endpoint, remembers the endpoint per origin and bypasses the cache on forceRefresh', async () => {
    const tokens = source();
    const first = await tokens.getToken({ origin: ucwa, challenge: challenge() });
    // No challenge this time (a proactive call): the endpoint is remembered for the origin.
    const again = await tokens.getToken({ origin: `${ucwa}/ucwa/oauth/v1/applications` });
    expect(again.token).toBe(first.token);
    expect(seen).toHaveLength(1);

    const forced = await tokens.getToken({ origin: ucwa, forceRefresh: true });
    expect(forced.token).not.toBe(first.token);
    expect(seen).toHaveLength(2);
  });

  it('renews shortly before expiry', async () => {
    next = { status: 200, body: { access_token: 'cwt=short', expires_in: 1 } };
    let now = Date.parse('2026-06-01T12:00:00Z');
    const tokens = source({ now: () => now });
    await tokens.getToken({ origin: ucwa, challenge: challenge() });
    next = undefined;
    // Margin: at most a tenth of the lifetime, so this one is served until 0.9 s and renewed from then on.
    now += 899;
    expect((await tokens.getToken({ origin: ucwa })).token).toBe('cwt=short');
    expect(seen).toHaveLength(1);
    now += 1;
    const renewed = await tokens.getToken({ origin: ucwa });
    expect(renewed.token).toMatch(/^cwt=AAEB/);
    expect(seen).toHaveLength(2);
  });

  it('raises the server’s error code, never the password', async () => {
    next = { status: 400, body: { error: 'invalid_grant' } };
    const error = await source()
      .getToken({ origin: ucwa, challenge: challenge() })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'TokenSourceError', code: 'invalid_grant', origin: ucwa });
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('reports an unknown error by HTTP status only', async () => {
    next = { status: 500, body: { error: `leaky ${PASSWORD}` } };
    const error = await source()
      .getToken({ origin: ucwa, challenge: challenge() })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'http_500' });
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('needs the challenge the first time', async () => {
    await expect(source().getToken({ origin: ucwa })).rejects.toMatchObject({ code: 'no_token_endpoint' });
  });

  it('refuses a challenge that does not offer the password grant', async () => {
    await expect(
      source().getToken({
        origin: ucwa,
        challenge: { msRtcOAuthHref: `${base}/x`, grantTypes: ['urn:microsoft.rtc:windows'] },
      }),
    ).rejects.toMatchObject({ code: 'unsupported_grant_type' });
    expect(seen).toHaveLength(0);
  });

  it('sends no credentials to an endpoint outside the UCWA origin’s domain', async () => {
    await expect(
      source().getToken({
        origin: 'https://lyncweb.contoso.com',
        challenge: { msRtcOAuthHref: `${base}/WebTicket/oauthtoken` },
      }),
    ).rejects.toMatchObject({ code: 'untrusted_token_endpoint' });
    expect(seen).toHaveLength(0);
  });

  it('does not follow a redirect with the password', async () => {
    next = { status: 307, body: {}, location: `${base}/elsewhere` };
    await expect(source().getToken({ origin: ucwa, challenge: challenge() })).rejects.toMatchObject({
      code: 'network_error',
    });
    expect(seen.map((request) => request.path)).toEqual(['/WebTicket/oauthtoken']);
  });

  it('accepts a token endpoint on the UCWA origin allow-list only', () => {
    const origin = 'https://lyncweb.contoso.com';
    const discovery = {
      discoveryUrl: 'https://lyncdiscover.contoso.com/autodiscover/autodiscoverservice.svc/root',
    };
    const trusted = (href: string, list = discovery) => isTrustedTokenEndpoint(href, origin, list);
    expect(trusted('https://lyncweb.contoso.com/WebTicket/oauthtoken')).toBe(true);
    expect(trusted('https://contoso.com/WebTicket/oauthtoken')).toBe(true);
    expect(trusted('http://lyncweb.contoso.com/WebTicket/oauthtoken')).toBe(false);
    expect(trusted('https://lyncweb.contoso.com.evil.net/x')).toBe(false);
    expect(trusted('https://evilcontoso.com/x')).toBe(false);
    expect(trusted('https://sts.fabrikam.com/x')).toBe(false);
    expect(trusted('https://user@lyncweb.contoso.com/x')).toBe(false);
    expect(trusted('not a url')).toBe(false);
    // An explicit UCWA_ALLOWED_ORIGINS is the whole list.
    const explicit = { ...discovery, allowedOrigins: ['https://sts.fabrikam.com'] };
    expect(trusted('https://sts.fabrikam.com/x', explicit)).toBe(true);
    expect(trusted('https://lyncweb.contoso.com/x', explicit)).toBe(false);
  });

  it.each([
    // [UCWA host, its discovery URL, a sibling under the same public suffix]
    ['https://contoso.co.uk', undefined, 'https://evil.co.uk/oauth'],
    ['https://lyncweb.contoso.co.uk', 'https://lyncdiscover.co.uk/root', 'https://evil.co.uk/oauth'],
    ['https://contoso.com.au', undefined, 'https://evil.com.au/oauth'],
    [
      'https://gk.azurewebsites.net',
      'https://lyncdiscover.azurewebsites.net/root',
      'https://evil.azurewebsites.net/',
    ],
  ])(
    'never sends the password to a sibling under a public suffix (%s)',
    async (origin, discoveryUrl, endpoint) => {
      expect(isTrustedTokenEndpoint(endpoint, origin, { discoveryUrl })).toBe(false);
      await expect(
        source(discoveryUrl ? { discoveryUrl } : {}).getToken({
          origin,
          challenge: { msRtcOAuthHref: endpoint },
        }),
      ).rejects.toMatchObject({ code: 'untrusted_token_endpoint' });
      expect(seen).toHaveLength(0);
    },
  );

  it('computes the discovery domain with the public-suffix list, never by dropping labels', () => {
    expect(discoveryDomain('lyncdiscover.contoso.co.uk')).toBe('contoso.co.uk');
    expect(discoveryDomain('lyncdiscover.co.uk')).toBe('lyncdiscover.co.uk');
    expect(discoveryDomain('lyncdiscover.azurewebsites.net')).toBe('lyncdiscover.azurewebsites.net');
    expect(discoveryDomain('lyncdiscover.contoso.com')).toBe('contoso.com');
  });
});
