/**
 * Attack matrix, HTTP routes: every row sends its attack to the real functions through the local host (the
 * same definitions the Functions host registers) and checks the refusal and that nothing else happened — no
 * UCWA request, no action, no chat message, no secret in the answer. Items of issue 12 are marked #n.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lobbyEventsDocument } from '../helpers/pushed-events.js';
import { expectNoSecret, type Gate, postChunked, startGate } from './harness.js';

let gate: Gate;
let applicationHref: string;
let guestHref: string;

beforeAll(async () => {
  gate = await startGate({ sim: { participantIds: 'sip' } });
  applicationHref = (await gate.world.rt.cursors.read()).state.applicationHref ?? '';
  guestHref = gate.meeting.knock({
    anonymous: true,
    name: 'Guest',
    uri: 'sip:guest@anon.example',
  }).participantHref;
});
afterAll(() => gate?.close());

const MB = 1024 * 1024;

async function post(route: string, body: string, authorization?: string) {
  const response = await fetch(`${gate.host.url}/api/${route}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-functions-key': gate.functionKey,
      ...(authorization ? { authorization } : {}),
    },
    body,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const pushDocument = () => JSON.stringify(lobbyEventsDocument(guestHref));

describe('bounded input before authentication (#4)', () => {
  const url = () => `${gate.host.url}/api/ucwa/events`;
  const headers = () => ({ 'content-type': 'application/json', 'x-functions-key': gate.functionKey });

  it('no token, a 20 MB chunked body without Content-Length: 401 before the body is read', async () => {
    const mark = gate.mark();
    const answer = await postChunked(url(), headers(), 20 * MB);
    expect(answer.status).toBe(401);
    expect(answer.sentBeforeAnswer).toBeLessThan(answer.total / 2);
    gate.expectNothingSince(mark, answer.body);
  });

  it('a valid token, a 20 MB chunked body: 413 once 1 MB has passed, the rest never read', async () => {
    const mark = gate.mark();
    const authorization = `Bearer ${await gate.eventsToken()}`;
    const answer = await postChunked(url(), { ...headers(), authorization }, 20 * MB);
    expect(answer.status).toBe(413);
    expect(answer.sentBeforeAnswer).toBeLessThan(answer.total / 2);
    gate.expectNothingSince(mark, answer.body);
  });

  it('a declared Content-Length over the limit: 413 (held)', async () => {
    const mark = gate.mark();
    const answer = await post('ucwa/events', 'x'.repeat(2 * MB), `Bearer ${await gate.eventsToken()}`);
    expect(answer.status).toBe(413);
    gate.expectNothingSince(mark, answer.text);
  });
});

describe('bearer tokens (held)', () => {
  const claims = { aud: 'api://ucwa-gatekeeper', roles: ['Gatekeeper.Events.Send'], sub: 'attacker' };
  const rows: [string, () => Promise<string>, number][] = [
    ['alg none', () => gate.idp.mintToken(claims, { alg: 'none' }), 401],
    ['HS256 signed with the public key', () => gate.idp.mintToken(claims, { alg: 'HS256' }), 401],
    ['RS384', () => gate.idp.mintToken(claims, { alg: 'RS384' }), 401],
    ['another audience', () => gate.idp.mintToken({ ...claims, aud: 'api://other' }), 401],
    ['another issuer', () => gate.idp.mintToken({ ...claims, iss: 'https://login.example/other/v2.0' }), 401],
    [
      'another tenant',
      () =>
        gate.idp.mintToken({
          ...claims,
          iss: `${gate.idp.authorityHost}/0b1e5f7a-0000-4000-8000-000000000001/v2.0`,
          tid: '0b1e5f7a-0000-4000-8000-000000000001',
        }),
      401,
    ],
    ['no exp', () => gate.idp.mintToken({ ...claims, iss: gate.idp.issuer }, { omitDefaults: true }), 401],
    [
      'the role in scp',
      () => gate.idp.mintToken({ ...claims, roles: undefined, scp: 'Gatekeeper.Events.Send' }),
      403,
    ],
    [
      'an unknown crit header',
      () => gate.idp.mintToken(claims, { header: { crit: ['urn:x'], 'urn:x': 1 } }),
      401,
    ],
    ...(['jku', 'x5u'] as const).map((name): [string, () => Promise<string>, number] => [
      `a ${name} header pointing at the attacker's keys`,
      async () =>
        gate.idp.mintToken(claims, {
          kid: await gate.idp.addKey(),
          header: { [name]: 'https://attacker.example/keys' },
        }),
      401,
    ]),
    [
      "a jwk header carrying the attacker's key",
      async () =>
        gate.idp.mintToken(claims, {
          kid: await gate.idp.addKey(),
          header: { jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } },
        }),
      401,
    ],
  ];

  it.each(rows)('%s: refused, nothing acted on, the token never echoed', async (_label, mint, status) => {
    const mark = gate.mark();
    const token = await mint();
    const answer = await post('ucwa/events', pushDocument(), `Bearer ${token}`);
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    gate.expectNothingSince(mark, answer.text, [...answer.headers]);
    expectNoSecret([token], answer.text, [...answer.headers]);
  });
});

describe('bodies (held)', () => {
  it('500,000-deep JSON: refused, nothing acted on', async () => {
    const mark = gate.mark();
    const deep = `${'['.repeat(500_000)}${']'.repeat(500_000)}`;
    const answer = await post('ucwa/events', deep, `Bearer ${await gate.eventsToken()}`);
    expect([400, 422]).toContain(answer.status);
    gate.expectNothingSince(mark, answer.text);
  });

  it('__proto__ keys: no prototype polluted, nothing acted on', async () => {
    const mark = gate.mark();
    const body = `{"__proto__": {"polluted": true}, "sender": [{"rel": "conversation", "href": "${applicationHref}/c", "__proto__": {"polluted": true}, "events": []}], "_links": {"next": {"href": "/x"}}}`;
    const answer = await post('ucwa/events', body, `Bearer ${await gate.eventsToken()}`);
    expect([202, 422]).toContain(answer.status);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    gate.expectNothingSince(mark, answer.text);
  });
});

describe('pushed data never decides (#2)', () => {
  it('a replayed lobby event for an anonymous attendee already admitted: re-read, and left alone', async () => {
    const admitted = gate.meeting.join({
      anonymous: true,
      name: 'Admitted',
      uri: 'sip:admitted@anon.example',
    });
    const removals = gate.removals().length;
    const mark = gate.mark();
    const answer = await post(
      'ucwa/events',
      JSON.stringify(lobbyEventsDocument(admitted.participantHref, { anonymous: true, inLobby: true })),
      `Bearer ${await gate.eventsToken()}`,
    );
    expect(answer.status).toBe(202);
    expect(gate.removals()).toHaveLength(removals);
    // Only reads went to UCWA: the participant's own resource decided.
    const sent = gate.world.sim.requests.slice(mark.ucwaRequests);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((request) => request.method === 'GET' || request.path.includes('batch'))).toBe(true);
  });
});

describe('hrefs into the gatekeeper’s own application only (#3)', () => {
  const tricks: [string, (app: string) => string][] = [
    ['dot segments', (app) => `${app}/../../../people/someone`],
    ['encoded dot segments', (app) => `${app}/%2e%2e/%2e%2e/people/someone`],
    ['upper-case encoded dots', (app) => `${app}/%2E%2E/%2E%2E/people/someone`],
    ['encoded slashes', (app) => `${app}/..%2f..%2fpeople`],
    ['encoded backslashes', (app) => `${app}/..%5c..%5cpeople`],
    ['backslashes', (app) => `${app}\\..\\..\\people`],
    ['userinfo', (app) => app.replace('://', '://attacker@')],
    ['another scheme (https for http)', (app) => `${app.replace(/^http:/, 'https:')}/people`],
    ['another host name for the same address', (app) => `${app.replace('127.0.0.1', 'localhost')}/people`],
    ['a look-alike prefix', (app) => `${app}evil/people`],
  ];

  it.each(tricks)('inspect with %s: 422, no request leaves', async (_label, trick) => {
    const mark = gate.mark();
    const answer = await post(
      'inspect',
      JSON.stringify({ href: trick(applicationHref) }),
      `Bearer ${await gate.inspectToken()}`,
    );
    expect([400, 422]).toContain(answer.status);
    gate.expectNothingSince(mark, answer.text);
  });

  it.each(tricks)('a pushed event with %s: 422, no request leaves', async (_label, trick) => {
    const mark = gate.mark();
    const answer = await post(
      'ucwa/events',
      JSON.stringify(lobbyEventsDocument(trick(applicationHref))),
      `Bearer ${await gate.eventsToken()}`,
    );
    expect(answer.status).toBe(422);
    gate.expectNothingSince(mark, answer.text);
  });
});

describe('a domain-name tenant (#8)', () => {
  it('AZURE_TENANT_ID=contoso.onmicrosoft.com: tokens of the tenant are accepted, others still refused', async () => {
    const named = await startGate({
      idp: { domains: ['contoso.onmicrosoft.com'] },
      settings: { AZURE_TENANT_ID: 'contoso.onmicrosoft.com' },
    });
    try {
      const send = async (token: string) =>
        fetch(`${named.host.url}/api/ucwa/events`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'x-functions-key': named.functionKey,
          },
          body: JSON.stringify({ _links: { next: { href: '/events?ack=2' } }, sender: [] }),
        });
      expect((await send(await named.eventsToken())).status).toBe(202);
      // A token of the other gate's tenant (its own GUID issuer) is not this tenant's.
      expect((await send(await gate.eventsToken())).status).toBe(401);
    } finally {
      await named.close();
    }
  });
});

describe('health (#9)', () => {
  it('anonymous: a status only, answered from memory — no UCWA request, no storage read', async () => {
    const mark = gate.mark();
    const storage = gate.storageRequests();
    const response = await fetch(`${gate.host.url}/api/health`);
    expect(await response.json()).toEqual({ status: 'unknown' });
    gate.board.record('sweepLobbies', false);
    const degraded = await fetch(`${gate.host.url}/api/health`);
    expect(degraded.status).toBe(503);
    expect(await degraded.json()).toEqual({ status: 'degraded' });
    gate.expectNothingSince(mark);
    expect(gate.storageRequests()).toBe(storage);
  });

  it('the full report needs the function key', async () => {
    const mark = gate.mark();
    const refused = await fetch(`${gate.host.url}/api/health/report`);
    expect(refused.status).toBe(401);
    gate.expectNothingSince(mark, await refused.text());
    const report = await fetch(`${gate.host.url}/api/health/report`, {
      headers: { 'x-functions-key': gate.functionKey },
    });
    expect(await report.json()).toMatchObject({ checks: { settings: { ok: true }, ucwa: { ok: true } } });
  });
});

describe('what leaves the process is scrubbed (#10)', () => {
  it('an unhandled failure naming a person: a bare 500, and the host log masks the address', async () => {
    const fault = gate.world.sim.faults.inject({
      method: 'GET',
      path: '/participants/',
      status: 400,
      times: 1,
    });
    const person = gate.meeting.knock({
      anonymous: false,
      name: 'Named',
      uri: 'sip:named.person@fabrikam.com',
    });
    const answer = await post(
      'inspect',
      JSON.stringify({ href: gate.world.rt.ucwa.resolve(person.participantHref) }),
      `Bearer ${await gate.inspectToken()}`,
    );
    fault.remove();
    expect(answer.status).toBe(500);
    expect(answer.text).not.toContain('named.person');
    expect(gate.hostLog.join('\n')).toContain('Unhandled failure');
    expect(gate.hostLog.join('\n')).not.toContain('named.person');
  });
});
