import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../functions/http-adapter.js';
import { previewDecision, receiveEvents } from '../../shared/app/http-api.js';
import { apiRequest } from '../helpers/api-request.js';
import type { World } from '../helpers/gatekeeper-world.js';
import { lobbyEventsDocument, type PushWorld, startPushWorld } from '../helpers/pushed-events.js';

/**
 * One world for the file (starting one joins a meeting: about a second), but no test depends on another:
 * each knocks its own guest and counts only the removals it caused, so any order, or any one alone, passes.
 * Nothing polls the event channel here, so the only removals are the ones a push causes.
 */
let pw: PushWorld;
let world: World;

beforeAll(async () => {
  pw = await startPushWorld();
  world = pw.world;
});

afterAll(() => pw?.close());

let guests = 0;

/** A guest of this test alone, waiting in the lobby. */
function knock(anonymous = true): { href: string; uri: string } {
  guests++;
  const uri = `sip:pushed-${guests}@${anonymous ? 'anon.example' : 'contoso.com'}`;
  const { participantHref } = pw.meeting.knock({
    anonymous,
    name: anonymous ? `Pushed Guest ${guests}` : `Colleague ${guests}`,
    sourceNetwork: anonymous ? 'PublicCloud' : 'SameEnterprise',
    uri,
  });
  return { href: participantHref, uri };
}

/** The pushed document: a relay could lie (here, always "anonymous"); the gatekeeper must re-read first. */
const document = (href: string) => JSON.stringify(lobbyEventsDocument(href, { anonymous: true }));
const bearer = async (claims: Record<string, unknown> = {}) => `Bearer ${await pw.eventsToken(claims)}`;
const removals = () => pw.removals();
/** Well over MAX_BODY_BYTES (1 MB), and otherwise a valid document. */
const fiveMegabytes = (href: string) =>
  JSON.stringify({ ...lobbyEventsDocument(href), padding: 'x'.repeat(5 * 1024 * 1024) });

interface Push {
  body: string;
  authorization?: string;
  contentType?: string;
}

describe('POST /api/ucwa/events with hostile bodies', () => {
  const hostile: [string, (href: string) => Promise<Push>, number][] = [
    ['no token', async (href) => ({ body: document(href) }), 401],
    [
      'a token without the role',
      async (href) => ({ body: document(href), authorization: await bearer({ roles: [] }) }),
      403,
    ],
    [
      'a token for another audience',
      async (href) => ({ body: document(href), authorization: await bearer({ aud: 'api://other' }) }),
      401,
    ],
    ['an empty body', async () => ({ body: '', authorization: await bearer() }), 400],
    ['not JSON', async () => ({ body: '{"sender": [', authorization: await bearer() }), 400],
    [
      'not JSON content type',
      async (href) => ({ body: document(href), authorization: await bearer(), contentType: 'text/plain' }),
      415,
    ],
    ['the wrong shape', async () => ({ body: '{"sender":"nope"}', authorization: await bearer() }), 422],
    ['5 MB', async (href) => ({ body: fiveMegabytes(href), authorization: await bearer() }), 413],
    [
      'an href to another origin',
      async () => ({ body: document('https://evil.example/ucwa/p/1'), authorization: await bearer() }),
      422,
    ],
  ];

  it.each(hostile)('%s: a problem+json answer, nothing acted on', async (_label, build, status) => {
    const guest = knock();
    const before = removals().length;
    const { body, authorization, contentType } = await build(guest.href);
    const request = apiRequest(body, authorization, contentType);
    const response = await receiveEvents(world.rt, request);
    expect(response.status).toBe(status);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(response.jsonBody).toMatchObject({ status });
    expect(removals()).toHaveLength(before);
    // Who is not let in never makes the gatekeeper read (or buffer) a body.
    if (status === 401 || status === 403) expect(request.bodyRead()).toBe(false);
  });

  it('refuses 5 MB through the function adapter', async () => {
    const { HttpRequest, InvocationContext } = await import('@azure/functions');
    const guest = knock();
    const before = removals().length;
    const handler = httpHandler(receiveEvents, async () => world.rt);
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/ucwa/events',
      headers: { authorization: await bearer(), 'content-type': 'application/json' },
      body: { string: fiveMegabytes(guest.href) },
    });
    const response = await handler(request, new InvocationContext({ functionName: 'ucwaEvents' }));
    expect(response.status).toBe(413);
    expect(removals()).toHaveLength(before);
  });

  it('re-reads a pushed participant before acting: a lie about anonymity changes nothing', async () => {
    const colleague = knock(false);
    const before = removals().length;
    const response = await receiveEvents(world.rt, apiRequest(document(colleague.href), await bearer()));
    expect(response).toMatchObject({ status: 202, jsonBody: { handled: 1 } });
    expect(removals()).toHaveLength(before);
  });

  it('accepts a well-formed push and removes the guest after re-reading them', async () => {
    const guest = knock();
    const before = world.sim.requests.length;
    const response = await receiveEvents(world.rt, apiRequest(document(guest.href), await bearer()));
    expect(response).toMatchObject({ status: 202, jsonBody: { handled: 1 } });
    expect(removals().filter((a) => a.participantUri === guest.uri)).toHaveLength(1);
    const after = world.sim.requests.slice(before);
    const read = after.findIndex((r) => r.method === 'GET' && guest.href.endsWith(r.path));
    const reject = after.findIndex((r) => r.method === 'POST' && r.path.endsWith('/reject'));
    expect(read).toBeGreaterThanOrEqual(0);
    expect(read).toBeLessThan(reject);
  });
});

describe('POST /api/inspect', () => {
  const inspectToken = () => pw.inspectToken();
  const call = async (body: unknown, authorization?: string) =>
    previewDecision(world.rt, apiRequest(JSON.stringify(body), authorization));

  it('returns the inspection and the decision without acting', async () => {
    const guest = knock();
    const before = removals().length;
    const response = await call(
      { href: world.rt.ucwa.resolve(guest.href) },
      `Bearer ${await inspectToken()}`,
    );
    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({
      subject: 'lobby',
      sender: { anonymous: true, sourceNetwork: 'PublicCloud', uri: guest.uri },
      decision: { action: 'eject', rule: 'eject-anonymous-in-lobby' },
      mode: 'enforce',
    });
    expect(removals()).toHaveLength(before);
  });

  it.each([
    ['the events role instead of Inspect', () => pw.eventsToken(), (href: string) => ({ href }), 403],
    ['a body without href', () => inspectToken(), (href: string) => ({ url: href }), 400],
    [
      'an href outside the application',
      () => inspectToken(),
      () => ({ href: 'https://evil.example/p/1' }),
      422,
    ],
  ])('refuses %s', async (_label, mint, body, status) => {
    const guest = knock();
    const response = await call(body(guest.href), `Bearer ${await mint()}`);
    expect(response.status).toBe(status);
  });
});

describe('several accounts', () => {
  it('a push and an inspect go to the account whose application the hrefs are in, never another', async () => {
    // A second account on another server (its own simulator, tables and application).
    const other = await startPushWorld();
    try {
      const accounts = async () => [world.rt, other.world.rt];
      guests++;
      const uri = `sip:pushed-${guests}@anon.example`;
      const { participantHref } = other.meeting.knock({
        anonymous: true,
        name: `Pushed Guest ${guests}`,
        sourceNetwork: 'PublicCloud',
        uri,
      });
      const href = other.world.rt.ucwa.resolve(participantHref);
      const inspect = await previewDecision(
        world.rt,
        apiRequest(JSON.stringify({ href }), `Bearer ${await pw.inspectToken()}`),
        accounts,
      );
      expect(inspect).toMatchObject({ status: 200, jsonBody: { sender: { uri } } });

      const mine = removals().length;
      const response = await receiveEvents(
        world.rt,
        apiRequest(JSON.stringify(lobbyEventsDocument(participantHref)), await bearer()),
        accounts,
      );
      expect(response).toMatchObject({ status: 202, jsonBody: { handled: 1 } });
      expect(other.removals().map((a) => a.participantUri)).toEqual([uri]);
      expect(removals()).toHaveLength(mine);
    } finally {
      await other.close();
    }
  });
});
