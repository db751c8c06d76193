/**
 * Attack matrix, settings and what the UCWA side can point the gatekeeper at: hostile settings are refused
 * at startup without echoing them; hostile links and challenges from a server (or whoever answers for it)
 * get no request and no credential. Items of issue 12 are marked #n.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { runWatch } from '../../shared/app/jobs.js';
import { createRuntime, loadPolicy } from '../../shared/app/runtime.js';
import { parseSettings, type Settings, SettingsError } from '../../shared/config.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import type { TokenSource } from '../../shared/ucwa/token-source.js';
import { expectNoSecret } from './harness.js';

const DISCOVERY = 'https://lyncdiscover.contoso.com/autodiscover/autodiscoverservice.svc/root';

function refusal(run: () => unknown): SettingsError {
  try {
    run();
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('hostile settings are refused at startup, never echoed', () => {
  it.each([
    ['a wildcard over a public suffix (#1)', { allow: { domains: ['*.com.au'] } }, 'com.au'],
    ['a leading-dot domain (#1)', { allow: { domains: ['.fabrikam.example'] } }, 'fabrikam.example'],
    [
      'a domain condition with a wildcard inside a label (#1)',
      { rules: [{ name: 'x', action: 'summarize', when: { domain: 'a*.b.example' } }] },
      'b.example',
    ],
  ])('GATEKEEPER_POLICY with %s', (_label, policy, value) => {
    const error = refusal(() => loadPolicy(JSON.stringify(policy)));
    expect(error.setting).toBe('GATEKEEPER_POLICY');
    expect(error.message).not.toContain(value);
  });

  it.each([
    ['UCWA_DISCOVERY_URL', 'http://lyncdiscover.contoso.com/autodiscover/autodiscoverservice.svc/root'],
    ['CHAT_TEAMS_WEBHOOK_URL', 'http://hooks.example/secret-path'],
    ['CHAT_WEBHOOK_URL', 'http://hooks.example/secret-path'],
  ])('an http downgrade in %s (held)', (name, value) => {
    const error = refusal(() => parseSettings({ [name]: value }));
    expect(error.setting).toBe(name);
    expect(error.message).not.toContain('hooks.example');
    expect(error.message).not.toContain('lyncdiscover');
  });
});

interface Sent {
  url: string;
  method: string;
  authorization: string | null;
  body: string;
}

/**
 * A gatekeeper runtime whose whole network is `answer` (a stand-in for the servers at the discovery URL):
 * every request is recorded, and one `answer` does not know fails as a network error would.
 */
async function runtimeOver(
  settings: Record<string, string>,
  answer: (url: URL) => Response | undefined,
  tokens?: TokenSource,
) {
  const sent: Sent[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const request = new Request(input, init);
    sent.push({
      url: request.url,
      method: request.method,
      authorization: request.headers.get('authorization'),
      body: request.body ? await request.text() : '',
    });
    const response = answer(new URL(request.url));
    if (!response) throw new TypeError('fetch failed');
    return response;
  };
  const parsed: Settings = parseSettings({
    UCWA_DISCOVERY_URL: DISCOVERY,
    AzureWebJobsStorage: inject('azuriteConnectionString'),
    ...settings,
  });
  const logs: string[] = [];
  const log = (message: string, properties?: Record<string, unknown>) =>
    logs.push(`${message} ${JSON.stringify(properties ?? {})}`);
  const telemetry = new MemoryTelemetry();
  const rt = await createRuntime(parsed, {
    fetch,
    telemetry,
    log: { info: log, warn: log, error: log },
    namespace: `s${randomUUID().replaceAll('-', '').slice(0, 12)}`,
    ...(tokens ? { tokens } : {}),
    ucwa: { retry: { baseMs: 1, maxMs: 2 } },
  });
  return { rt, sent, logs, telemetry };
}

const json = (body: unknown, init: ResponseInit = {}) =>
  Response.json(body, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });

describe('links a server hands out stay inside the origin allow-list (held)', () => {
  it.each([
    [
      'userinfo',
      'https://lyncweb.contoso.com@evil.example/Autodiscover/AutodiscoverService.svc/root/oauth/user',
    ],
    [
      'a backslash',
      'https://evil.example\\@lyncweb.contoso.com/Autodiscover/AutodiscoverService.svc/root/oauth/user',
    ],
    ['a trailing dot', 'https://lyncweb.contoso.com./Autodiscover/AutodiscoverService.svc/root/oauth/user'],
    [
      'a look-alike with a trailing dot',
      'https://evil.example./Autodiscover/AutodiscoverService.svc/root/oauth/user',
    ],
    ['an http downgrade', 'http://lyncweb.contoso.com/Autodiscover/AutodiscoverService.svc/root/oauth/user'],
  ])('a discovery link with %s: refused before a byte is sent, no token asked for', async (_label, user) => {
    const asked: string[] = [];
    const tokens: TokenSource = {
      async getToken({ origin }) {
        asked.push(origin);
        return { token: `token-${randomUUID()}`, expiresOn: Date.now() + 3_600_000 };
      },
    };
    const { rt, sent } = await runtimeOver(
      {},
      (url) =>
        url.href === DISCOVERY
          ? json({ _links: { self: { href: DISCOVERY }, user: { href: user } } })
          : undefined,
      tokens,
    );
    await expect(runWatch(rt, Date.now() + 5_000)).rejects.toMatchObject({ name: 'OriginNotAllowedError' });
    expect(sent.map((request) => request.url)).toEqual([DISCOVERY]);
    expect(asked).toEqual([]);
  });
});

describe('the server-OAuth password goes only where the allow-list permits (#7)', () => {
  it.each([
    [
      'a sibling under the public suffix',
      'https://contoso.co.uk/autodiscover/root',
      'https://evil.co.uk/WebTicket/oauthtoken',
    ],
    [
      'a sibling of lyncdiscover.<public suffix>',
      'https://lyncdiscover.co.uk/autodiscover/root',
      'https://evil.co.uk/WebTicket/oauthtoken',
    ],
    ['another domain', DISCOVERY, 'https://sts.evil.example/WebTicket/oauthtoken'],
  ])(
    'a 401 challenge naming %s: no request there, the password nowhere',
    async (_label, discovery, endpoint) => {
      const password = `pw-${randomUUID()}`;
      const userUrl = new URL('/Autodiscover/AutodiscoverService.svc/root/oauth/user', discovery).href;
      const { rt, sent, logs, telemetry } = await runtimeOver(
        {
          UCWA_DISCOVERY_URL: discovery,
          AUTH_MODE: 'sfb-server',
          UCWA_USERNAME: 'CONTOSO\\gk',
          UCWA_PASSWORD: password,
        },
        (url) => {
          if (url.href === discovery)
            return json({ _links: { self: { href: discovery }, user: { href: userUrl } } });
          if (url.href === userUrl)
            return json(
              { code: 'Unauthorized' },
              {
                status: 401,
                headers: {
                  'www-authenticate': `MsRtcOAuth href="${endpoint}",grant_type="urn:microsoft.rtc:windows,password"`,
                },
              },
            );
          return undefined;
        },
      );
      const error = await runWatch(rt, Date.now() + 5_000).then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      expect(error?.message).toContain('Refusing to send credentials');
      expect(sent.map((request) => new URL(request.url).origin)).not.toContain(new URL(endpoint).origin);
      expectNoSecret(
        [password],
        sent,
        `${error?.message}\n${error?.stack}`,
        logs,
        telemetry.exceptions.map(({ error: e }) => String((e as Error).message)),
      );
    },
  );
});
