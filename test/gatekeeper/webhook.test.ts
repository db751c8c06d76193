import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../functions/http-adapter.js';
import { inspect, receiveEvents } from '../../shared/gatekeeper/http-api.js';
import { apiRequest } from '../helpers/api-request.js';
import { MEETING_URI, type World } from '../helpers/gatekeeper-world.js';
import { lobbyEventsDocument, type PushWorld, startPushWorld } from '../helpers/pushed-events.js';

let pw: PushWorld;
let world: World;
let participantHref: string;

beforeAll(async () => {
  pw = await startPushWorld();
  world = pw.world;
  participantHref = pw.meeting.knock({
    anonymous: true,
    name: 'Pushed Guest',
    sourceNetwork: 'PublicCloud',
    uri: 'sip:pushed@anon.example',
  }).participantHref;
});

afterAll(() => pw?.close());

const token = (claims: Record<string, unknown> = {}) => pw.eventsToken(claims);

function document(href = participantHref, anonymous = true) {
  // A relay could lie: the gatekeeper must re-read before acting.
  return lobbyEventsDocument(href, { anonymous });
}

async function push(body: string | undefined, authorization?: string, contentType = 'application/json') {
  return receiveEvents(world.rt, apiRequest(body, authorization, contentType));
}

const ejects = () => pw.removals();

describe('POST /api/ucwa/events with hostile bodies', () => {
  it.each([
    ['no token', async () => push(JSON.stringify(document())), 401],
    [
      'a token without the role',
      async () => push(JSON.stringify(document()), `Bearer ${await token({ roles: [] })}`),
      403,
    ],
    [
      'a token for another audience',
      async () => push(JSON.stringify(document()), `Bearer ${await token({ aud: 'api://other' })}`),
      401,
    ],
    ['not JSON', async () => push('{"sender": [', `Bearer ${await token()}`), 400],
    [
      'not JSON content type',
      async () => push(JSON.stringify(document()), `Bearer ${await token()}`, 'text/plain'),
      415,
    ],
    ['the wrong shape', async () => push(JSON.stringify({ sender: 'nope' }), `Bearer ${await token()}`), 422],
    ['5 MB (refused before reading)', async () => push(undefined, `Bearer ${await token()}`), 413],
    [
      'an href to another origin',
      async () => push(JSON.stringify(document('https://evil.example/ucwa/p/1')), `Bearer ${await token()}`),
      422,
    ],
  ])('%s: a problem+json answer, nothing acted on', async (_label, call, status) => {
    const response = await call();
    expect(response.status).toBe(status);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(response.jsonBody).toMatchObject({ status });
    expect(ejects()).toHaveLength(0);
  });

  it('refuses 5 MB through the function adapter', async () => {
    const { HttpRequest, InvocationContext } = await import('@azure/functions');
    const handler = httpHandler(receiveEvents, async () => world.rt);
    const body = JSON.stringify({ ...document(), padding: 'x'.repeat(5 * 1024 * 1024) });
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/ucwa/events',
      headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
      body: { string: body },
    });
    const response = await handler(request, new InvocationContext({ functionName: 'ucwaEvents' }));
    expect(response.status).toBe(413);
    expect(ejects()).toHaveLength(0);
  });

  it('re-reads a pushed participant before acting: a lie about anonymity changes nothing', async () => {
    const colleague = world.sim.scenario.getMeeting(MEETING_URI)?.knock({
      anonymous: false,
      name: 'Colleague',
      sourceNetwork: 'SameEnterprise',
      uri: 'sip:colleague@contoso.com',
    });
    const response = await push(
      JSON.stringify(document(colleague?.participantHref, true)),
      `Bearer ${await token()}`,
    );
    expect(response.status).toBe(202);
    expect(ejects()).toHaveLength(0);
  });

  it('accepts a well-formed push and ejects after re-reading the participant', async () => {
    const before = world.sim.requests.length;
    const response = await push(JSON.stringify(document()), `Bearer ${await token()}`);
    expect(response).toMatchObject({ status: 202, jsonBody: { handled: 1 } });
    expect(ejects().map((a) => a.participantUri)).toEqual(['sip:pushed@anon.example']);
    const after = world.sim.requests.slice(before);
    const read = after.findIndex((r) => r.method === 'GET' && participantHref.endsWith(r.path));
    const reject = after.findIndex((r) => r.method === 'POST' && r.path.endsWith('/reject'));
    expect(read).toBeGreaterThanOrEqual(0);
    expect(read).toBeLessThan(reject);
  });
});

describe('POST /api/inspect', () => {
  const inspectToken = () => pw.inspectToken();
  const call = async (body: unknown, authorization?: string) =>
    inspect(world.rt, apiRequest(JSON.stringify(body), authorization));

  it('returns the inspection and the decision without acting', async () => {
    const meeting = world.sim.scenario.getMeeting(MEETING_URI);
    const guest = meeting?.knock({
      anonymous: true,
      name: 'Inspected',
      sourceNetwork: 'PublicCloud',
      uri: 'sip:inspected@anon.example',
    });
    const before = ejects().length;
    const response = await call(
      { href: world.rt.ucwa.resolve(guest?.participantHref ?? '') },
      `Bearer ${await inspectToken()}`,
    );
    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({
      subject: 'lobby',
      sender: { anonymous: true, name: 'Inspected', sourceNetwork: 'PublicCloud' },
      decision: { action: 'eject', rule: 'eject-anonymous-in-lobby' },
      mode: 'enforce',
    });
    expect(ejects()).toHaveLength(before);
  });

  it.each([
    ['the events role instead of Inspect', () => token(), { href: participantHref }, 403],
    ['a body without href', () => inspectToken(), { url: participantHref }, 400],
    ['an href outside the application', () => inspectToken(), { href: 'https://evil.example/p/1' }, 422],
  ])('refuses %s', async (_label, mint, body, status) => {
    const response = await call(body, `Bearer ${await mint()}`);
    expect(response.status).toBe(status);
  });
});
