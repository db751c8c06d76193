import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { SfbServerTokenSource } from '../../shared/auth/sfb-server-token-source.js';
import {
  type ChannelEvent,
  hrefOf,
  OriginNotAllowedError,
  parseUcwaResource,
  ScopeError,
  UcwaAuthError,
  UcwaError,
  UcwaTransportError,
} from '../../shared/ucwa/index.js';
import { simClient, simTokens, startSim } from '../helpers/ucwa-sim.js';

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function sim0(options: Parameters<typeof startSim>[0] = {}): Promise<UcwaSimulator> {
  sim = await startSim(options);
  return sim;
}

const guest = (n: number) => ({
  anonymous: true,
  name: `Guest ${n}`,
  sourceNetwork: 'PublicCloud' as const,
  uri: `sip:guest${n}@anon.example`,
});

describe('discovery', () => {
  it('follows two redirects across origins to the applications URL on the pool', async () => {
    const s = await sim0({ discoveryRedirects: 2 });
    const client = simClient(s);
    const discovery = await client.discover();
    expect(discovery.applicationsUrl.startsWith(s.origins.pool)).toBe(true);
    const roots = s.requests.filter((r) => r.path.startsWith('/autodiscover') && !r.path.includes('user'));
    expect(new Set(roots.map((r) => r.origin))).toEqual(new Set(s.origins.discovery));
    // Discovery roots never get the token; the user resource is read anonymously first (401 challenge), then with it.
    expect(roots.every((r) => r.authorization === undefined)).toBe(true);
    const user = s.requests.filter((r) => r.path.includes('/user'));
    expect(user.map((r) => [r.status, r.authorization !== undefined])).toEqual([
      [401, false],
      [200, true],
    ]);
    // Cached: no second discovery.
    await client.discover();
    expect(s.requests.filter((r) => r.path.includes('/user'))).toHaveLength(2);
  });

  it('follows HTTP redirects from the root, each hop allow-listed and within the hop limit', async () => {
    const s = await sim0({ discoveryRedirects: 2, discoveryRedirectsAs: 'http' });
    const discovery = await simClient(s).discover();
    expect(discovery.applicationsUrl.startsWith(s.origins.pool)).toBe(true);
    const roots = s.requests.filter((r) => r.path.endsWith('/root'));
    expect(roots.map((r) => [r.origin, r.status])).toEqual([
      [s.origins.discovery[0], 302],
      [s.origins.discovery[1], 302],
      [s.origins.discovery[2], 200],
    ]);

    // A hop to an origin outside the allow-list is refused before anything is sent there.
    const before = s.requests.length;
    const narrow = simClient(s, { allowedOrigins: [s.origins.discovery[0] ?? '', s.origins.pool] });
    await expect(narrow.discover()).rejects.toBeInstanceOf(OriginNotAllowedError);
    expect(s.requests.slice(before).map((r) => r.origin)).toEqual([s.origins.discovery[0]]);

    await s.close();
    const far = await sim0({ discoveryRedirects: 5, discoveryRedirectsAs: 'http' });
    await expect(simClient(far).discover()).rejects.toThrow(/more than 4 redirects/);
  });

  it('never follows a redirect from https down to http', async () => {
    const requested: string[] = [];
    const fetchStub: typeof fetch = async (input) => {
      requested.push(String(input));
      return new Response(null, { status: 302, headers: { Location: 'http://127.0.0.1:9/root' } });
    };
    const client = simClient({ discoveryUrl: 'https://lyncdiscover.contoso.com/root' } as UcwaSimulator, {
      tokens: { getToken: async () => ({ token: 'unused' }) },
      allowedOrigins: ['https://lyncdiscover.contoso.com', 'http://127.0.0.1:9'],
      fetch: fetchStub,
    });
    await expect(client.discover()).rejects.toThrow(/from https to http/);
    expect(requested).toEqual(['https://lyncdiscover.contoso.com/root']);
  });

  it('serves bodies that parse with the client schemas', async () => {
    const s = await sim0();
    const client = simClient(s);
    const app = await client.application();
    const root = await fetch(s.discoveryUrl).then((r) => r.json());
    expect(() => parseUcwaResource('root', root)).not.toThrow();
    expect(() => parseUcwaResource('application', app.resource)).not.toThrow();
    const meeting = s.scenario.meeting({
      onlineMeetingUri: 'sip:org@contoso.com;gruu;opaque=app:conf:focus:id:P1',
      accountIsLeader: true,
    });
    await client.joinOnlineMeeting('sip:org@contoso.com;gruu;opaque=app:conf:focus:id:P1');
    await meeting.whenJoined();
    const knock = meeting.knock(guest(1));
    const channel = await client.eventChannel();
    const events: ChannelEvent[] = [];
    // The knock is queued before the first poll: a few batches at most (start-up events first).
    for (let polls = 0; polls < 3 && !events.some((e) => e.in?.rel === 'lobby'); polls++)
      events.push(...(await channel.poll()).events);
    const participant = await client.get('participant', knock.participantHref);
    const conversation = await client.get(
      'conversation',
      events.find((e) => e.in?.rel === 'lobby')?.sender.href ?? '',
    );
    const lobby = await client.get('lobby', hrefOf(conversation, 'lobby') ?? '');
    expect(participant.anonymous).toBe(true);
    // The lobby embeds exactly the guest waiting in it, as the server shows them.
    const waiting = [lobby._embedded?.participant ?? []].flat();
    expect(waiting.map((p) => [client.resolve(hrefOf(p, 'self') ?? ''), p.name, p.inLobby])).toEqual([
      [client.resolve(knock.participantHref), 'Guest 1', true],
    ]);
  });
});

describe('application lifecycle', () => {
  it('creates the application, makes it available, and re-creates it after it expired', async () => {
    const s = await sim0();
    const client = simClient(s);
    const first = await client.application();
    expect(first.origin).toBe('created');
    await s.scenario.whenAvailable();
    s.expireApplication('410');
    const channel = await client.eventChannel();
    const error = await channel.poll().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UcwaError);
    expect((error as UcwaError).applicationGone).toBe(true);
    const second = await client.recreateApplication();
    expect(second.href).not.toBe(first.href);
    expect(s.actions.filter((a) => a.kind === 'createApplication')).toHaveLength(2);
    expect(s.actions.filter((a) => a.kind === 'makeMeAvailable')).toHaveLength(2);
    // A stored href of a gone application leads to a new one too.
    s.expireApplication('404');
    const third = await simClient(s).attachApplication(second.href);
    expect(third.origin).toBe('created');
  });
});

describe('rediscovery', () => {
  it.each([
    { label: '403', fault: { status: 403 } },
    { label: '502', fault: { status: 502, times: 4 } },
    { label: 'a connection that keeps failing', fault: { drop: true, times: 4 } },
  ])('re-attaching to a stored application that answers $label rediscovers first', async ({ fault }) => {
    const s = await sim0();
    const client = simClient(s);
    const stored = await client.application();
    const roots = () => s.requests.filter((r) => r.path.endsWith('/root')).length;
    expect(roots()).toBe(1);
    // A pool failover: the stored href no longer answers as it should.
    s.faults.inject({ method: 'GET', path: new URL(stored.href).pathname, ...fault });
    const app = await client.attachApplication(stored.href);
    // Discovery leads to the same simulated pool, which still holds the live application for this endpointId.
    expect(app.origin).toBe('attached');
    expect(roots()).toBe(2);
    expect(s.actions.filter((a) => a.kind === 'createApplication')).toHaveLength(1);
  });

  it('sfb-server: a fresh process re-attaching a saved application asks without a token first to hear the challenge', async () => {
    const s = await sim0();
    const sfb = () =>
      new SfbServerTokenSource({
        mode: 'sfb-server',
        username: s.credentials.username,
        password: s.credentials.password,
        discoveryUrl: s.discoveryUrl,
      });
    const saved = await simClient(s, { tokens: sfb() }).application();
    // A restart: a new token source that has never seen the server's 401 challenge.
    const attached = await simClient(s, { tokens: sfb() }).attachApplication(saved.href);
    expect([attached.href, attached.origin]).toEqual([saved.href, 'attached']);
  });

  it('a 403 about one participant is permanent for it: no retry, no rediscovery', async () => {
    const s = await sim0();
    const client = simClient(s);
    await client.application();
    const meeting = s.scenario.meeting({
      onlineMeetingUri: 'sip:org@contoso.com;gruu;opaque=app:conf:focus:id:F1',
      accountIsLeader: true,
    });
    await client.joinOnlineMeeting('sip:org@contoso.com;gruu;opaque=app:conf:focus:id:F1');
    await meeting.whenJoined();
    const knock = meeting.knock(guest(1));
    s.faults.inject({ method: 'GET', path: knock.participantHref, status: 403 });
    const error = await client.get('participant', knock.participantHref).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, action: 'not-permitted' });
    expect(s.requests.filter((r) => r.path === knock.participantHref)).toHaveLength(1);
    expect(s.requests.filter((r) => r.path.endsWith('/root'))).toHaveLength(1);
  });
});

describe('keep-alive', () => {
  it('reports activity whenever me offers the link, whatever scopes the token lists', async () => {
    const s = await sim0({ activityTimeoutMs: 60_000 });
    // A server OAuth token: no scopes at all (the scope tables are for online applications).
    const client = simClient(s);
    await client.application();
    expect(await client.reportMyActivity()).toBe(true);
    expect(await client.reportMyActivity()).toBe(true);
    expect(s.actions.filter((a) => a.kind === 'reportMyActivity')).toHaveLength(2);
    // `me` was read once more after makeMeAvailable, which added the link.
    expect(s.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/me'))).toHaveLength(1);

    // An Azure AD token without User.ReadWrite: refused before anything is sent.
    const azure = simClient(s, {
      tokens: simTokens(s, ['Conversations.Initiate', 'Conversations.Receive']),
      application: { userAgent: 'tests', endpointId: 'azure' },
    });
    await azure.application();
    await expect(azure.reportMyActivity()).rejects.toBeInstanceOf(ScopeError);
  });
});

describe('event channel', () => {
  it('delivers three batches and a resync without losing or duplicating an event', async () => {
    const s = await sim0();
    const client = simClient(s);
    await client.application();
    const channel = await client.eventChannel();
    const seen: string[] = [];
    const drain = async () => {
      for (let i = 0; i < 5; i++) {
        const batch = await channel.poll();
        for (const e of batch.events) if (e.link.rel === 'messagingInvitation') seen.push(e.link.href);
        if (batch.events.length === 0 && batch.kind === 'next') return batch;
      }
      return undefined;
    };
    await drain();
    const sent: string[] = [];
    sent.push(s.scenario.incomingIm(guest(1), 'one').invitationHref);
    await drain();
    sent.push(s.scenario.incomingIm(guest(2), 'two').invitationHref);
    const batch = await channel.poll();
    for (const e of batch.events) if (e.link.rel === 'messagingInvitation') seen.push(e.link.href);

    // The next poll acknowledges that batch and brings invitation 3 — and the consumer crashes before handling
    // it. Restarted with a wrong ack, the server answers with resync only, which leads back to the first
    // unacknowledged batch: invitation 3, once.
    sent.push(s.scenario.incomingIm(guest(3), 'three').invitationHref);
    await channel.poll();
    const stale = new URL(channel.cursor);
    stale.searchParams.set('ack', '999');
    const restarted = await client.eventChannel(stale.toString());
    const resync = await restarted.poll();
    expect(resync.kind).toBe('resync');
    expect(resync.events).toEqual([]);
    for (let i = 0; i < 3 && seen.length < 3; i++) {
      for (const e of (await restarted.poll()).events)
        if (e.link.rel === 'messagingInvitation') seen.push(e.link.href);
    }
    const resolve = (href: string) => client.resolve(href);
    expect(seen.map(resolve)).toEqual(sent.map(resolve));
  });

  it('repeats an aborted poll with the same link and gets the same batch', async () => {
    const s = await sim0();
    const client = simClient(s);
    await client.application();
    const channel = await client.eventChannel();
    await channel.poll(); // the application's own start-up events
    s.scenario.incomingIm(guest(1), 'hello');
    const first = await channel.poll();
    // Re-reading the same cursor (a crash before the cursor was saved) returns the same events.
    const again = await (await client.eventChannel(first.cursor)).poll();
    expect(again.events.map((e) => e.link.href)).toEqual(first.events.map((e) => e.link.href));
    const controller = new AbortController();
    const pending = channel.poll({ abortSignal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const cursorAfterAbort = channel.cursor;
    expect(cursorAfterAbort).toBe(first.next);
  });
});

describe('token safety', () => {
  it('never sends the bearer token to an origin outside the allow-list', async () => {
    const s = await sim0();
    const client = simClient(s);
    await client.application();
    const hits: string[] = [];
    const foreign = createServer((req, res) => {
      hits.push(String(req.headers.authorization));
      res.end('{}');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    const port = (foreign.address() as AddressInfo).port;
    try {
      await expect(client.get('participant', `http://localhost:${port}/ucwa/steal`)).rejects.toBeInstanceOf(
        OriginNotAllowedError,
      );
      await expect(
        client.eject({ _links: { eject: { href: `http://localhost:${port}/eject` } } }),
      ).rejects.toBeInstanceOf(OriginNotAllowedError);
      expect(hits).toEqual([]);
    } finally {
      foreign.close();
    }
  });

  it('fails fast with a scope error when the token lacks Conversations.Receive', async () => {
    const s = await sim0();
    const client = simClient(s, { tokens: simTokens(s, ['Conversations.Initiate']), availability: {} });
    const error = await client.application().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScopeError);
    expect((error as ScopeError).message).toMatch(/Conversations\.Receive/);
    expect(s.actions.filter((a) => a.kind === 'makeMeAvailable')).toHaveLength(0);
  });

  it('retries intermittent 401s on application creation within a bound', async () => {
    const s = await sim0();
    const tokens = simTokens(s);
    const client = simClient(s, { tokens });
    s.faults.inject({ method: 'POST', path: /\/applications$/, status: 401, times: 3 });
    const app = await client.application();
    expect(app.origin).toBe('created');
    const posts = s.requests.filter((r) => r.method === 'POST' && /\/applications$/.test(r.path));
    expect(posts.map((r) => r.status)).toEqual([401, 401, 401, 201]);

    s.faults.inject({
      method: 'POST',
      path: /\/applications$/,
      status: 401,
      times: Number.POSITIVE_INFINITY,
    });
    const error = await simClient(s, { tokens })
      .application()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UcwaAuthError);
  });

  it('refreshes a refused token once and carries on', async () => {
    const s = await sim0();
    const tokens = simTokens(s);
    const client = simClient(s, { tokens });
    await client.application();
    s.revokeTokens();
    const app = await client.application();
    const reread = await client.get('application', app.href);
    expect(client.resolve(hrefOf(reread, 'self') ?? '')).toBe(client.resolve(app.href));
    expect(tokens.issued.filter((t) => t.forceRefresh)).toHaveLength(1);
  });
});

describe('batch', () => {
  it('reads 20 participants in one round trip', async () => {
    const s = await sim0({ participantIds: 'sip' });
    const client = simClient(s);
    await client.application();
    const meeting = s.scenario.meeting({
      onlineMeetingUri: 'sip:org@contoso.com;gruu;opaque=app:conf:focus:id:B1',
      accountIsLeader: true,
    });
    await client.joinOnlineMeeting('sip:org@contoso.com;gruu;opaque=app:conf:focus:id:B1');
    await meeting.whenJoined();
    const hrefs = Array.from({ length: 20 }, (_, n) => meeting.knock(guest(n)).participantHref);
    const before = s.requests.filter((r) => !r.batchPart).length;
    const results = await client.getMany('participant', hrefs);
    expect(s.requests.filter((r) => !r.batchPart).length - before).toBe(1);
    expect(results.every((r) => r.ok && r.resource.anonymous === true)).toBe(true);
    expect(results.map((r) => (r.ok ? r.resource.name : ''))).toEqual(hrefs.map((_, n) => `Guest ${n}`));
  });

  it('gives every part the headers the batching pages list, Content-Length: 0 on a bodiless POST', async () => {
    // The simulator answers 411 to a POST part without Content-Length, as an HTTP server would.
    const s = await sim0();
    const client = simClient(s);
    await client.application();
    const meeting = s.scenario.meeting({
      onlineMeetingUri: 'sip:org@contoso.com;gruu;opaque=app:conf:focus:id:H1',
      accountIsLeader: true,
    });
    await client.joinOnlineMeeting('sip:org@contoso.com;gruu;opaque=app:conf:focus:id:H1');
    await meeting.whenJoined();
    const hrefs = [1, 2].map((n) => meeting.knock(guest(n)).participantHref);
    const read = await client.getMany('participant', hrefs);
    const participants = read.flatMap((r) => (r.ok ? [r.resource] : []));
    const results = await client.removeParticipants(
      participants.map((p) => ({ participant: p, verb: 'eject' })),
    );
    expect(results).toEqual([{ ok: true }, { ok: true }]);
    const parts = s.requests.filter((r) => r.batchPart);
    expect(parts).toHaveLength(4);
    for (const part of parts) {
      expect(part.mimeHeaders).toMatchObject({
        'content-type': 'application/http; msgtype=request',
        'content-transfer-encoding': 'binary',
      });
      expect(part.headers).toMatchObject({ host: new URL(s.origins.pool).host, accept: 'application/json' });
    }
    const posts = parts.filter((r) => r.method === 'POST');
    expect(posts.map((r) => [r.path.split('/').pop(), r.headers?.['content-length'], r.status])).toEqual([
      ['eject', '0', 204],
      ['eject', '0', 204],
    ]);
  });

  it('splits a throttled batch and retries after Retry-After', async () => {
    const s = await sim0();
    const client = simClient(s);
    const app = await client.application();
    s.faults.inject({ path: '/batch', status: 429, retryAfter: '0', times: 1 });
    const results = await client.getMany('application', [app.href, app.href, app.href, app.href]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(s.requests.filter((r) => r.path.endsWith('/batch')).map((r) => r.status)).toEqual([429, 200, 200]);
  });

  it('a second process with the same endpointId is given the live application: attached, not created', async () => {
    const s = await sim0();
    const first = await simClient(s).application();
    const second = await simClient(s).application();
    expect(second.href).toBe(first.href);
    expect([first.origin, second.origin]).toEqual(['created', 'attached']);
  });

  it('repeats a batch of reads that met a 503 or a reset, as it would a plain GET', async () => {
    const s = await sim0();
    const client = simClient(s);
    const app = await client.application();
    s.faults.inject({ path: '/batch', status: 503, times: 1, outerOnly: true });
    s.faults.inject({ path: '/batch', drop: true, times: 1, outerOnly: true });
    const results = await client.getMany('application', [app.href, app.href]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(s.requests.filter((r) => r.path.endsWith('/batch')).length).toBe(3);
  });
});

describe('faults', () => {
  const cases = [
    { label: '429 with Retry-After seconds', fault: { status: 429, retryAfter: '0' } },
    {
      label: '429 with Retry-After date',
      fault: { status: 429, retryAfter: new Date(Date.now() - 1000).toUTCString() },
    },
    {
      label: '500 ServiceFailure',
      fault: { status: 500, code: 'ServiceFailure', subcode: 'InvalidExchangeServerVersion' },
    },
    { label: '503 from a proxy', fault: { status: 503, html: true } },
    { label: 'dropped connection', fault: { drop: true } },
    { label: 'malformed JSON', fault: { malformedJson: true } },
  ];

  it.each(cases)('recovers from $label within the retry budget', async ({ fault }) => {
    const s = await sim0();
    const client = simClient(s);
    const app = await client.application();
    const handle = s.faults.inject({ method: 'GET', path: '/communication', times: 2, ...fault });
    const communication = await client.get('communication', hrefOf(app.communication, 'self') ?? '');
    expect(communication.rel).toBe('communication');
    expect(handle.hits).toBe(2);
  });

  it('reports a clear typed error once the budget is spent', async () => {
    const s = await sim0();
    const client = simClient(s);
    const app = await client.application();
    s.faults.inject({ method: 'GET', path: '/communication', status: 503, times: Number.POSITIVE_INFINITY });
    const error = await client
      .get('communication', hrefOf(app.communication, 'self') ?? '')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UcwaError);
    expect(error).toMatchObject({ status: 503, action: 'retry' });
    s.faults.clear();
    s.faults.inject({ method: 'GET', path: '/communication', drop: true, times: Number.POSITIVE_INFINITY });
    const network = await client
      .get('communication', hrefOf(app.communication, 'self') ?? '')
      .catch((e: unknown) => e);
    expect(network).toBeInstanceOf(UcwaTransportError);
    expect((network as UcwaTransportError).attempts).toBe(4);
  });

  it('does not repeat an eject after a 500 (it may have run)', async () => {
    const s = await sim0();
    const client = simClient(s);
    await client.application();
    const meeting = s.scenario.meeting({
      onlineMeetingUri: 'sip:org@contoso.com;gruu;opaque=app:conf:focus:id:E1',
      accountIsLeader: true,
    });
    await client.joinOnlineMeeting('sip:org@contoso.com;gruu;opaque=app:conf:focus:id:E1');
    await meeting.whenJoined();
    const knock = meeting.knock(guest(1));
    const participant = await client.get('participant', knock.participantHref);
    s.faults.inject({ method: 'POST', path: '/eject', status: 500, times: 1 });
    await expect(client.eject(participant)).rejects.toMatchObject({ status: 500 });
    expect(s.requests.filter((r) => r.path.endsWith('/eject'))).toHaveLength(1);
  });
});
