import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProvider } from '../../dev/idp/index.js';
import { httpHandler } from '../../functions/http-adapter.js';
import { inspect, receiveEvents } from '../../shared/gatekeeper/http-api.js';
import { MEETING_URI, startWorld, type World } from '../helpers/gatekeeper-world.js';
import { startTestIdentityProvider } from '../helpers/identity-provider.js';

const AUDIENCE = 'api://ucwa-gatekeeper';
let idp: IdentityProvider;
let world: World;
let participantHref: string;
let lobbyHref: string;
let conversationHref: string;

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  world = await startWorld({
    settings: {
      WATCHED_MEETINGS: MEETING_URI,
      AZURE_TENANT_ID: idp.tenant,
      AZURE_AUTHORITY_HOST: idp.authorityHost,
      INBOUND_AUDIENCE: AUDIENCE,
    },
  });
  const meeting = world.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
  // One run creates the application and joins the meeting, then stops before anyone knocks.
  await world.watchUntil(
    () => meeting.participants().length > 0 || world.sim.actions.some((a) => a.kind === 'joinOnlineMeeting'),
    3_000,
  );
  await meeting.whenJoined();
  const knock = meeting.knock({
    anonymous: true,
    name: 'Pushed Guest',
    sourceNetwork: 'PublicCloud',
    uri: 'sip:pushed@anon.example',
  });
  participantHref = knock.participantHref;
  conversationHref = participantHref.replace(/\/participants\/.*$/, '');
  lobbyHref = `${conversationHref}/lobby`;
});

afterAll(async () => {
  await world?.close();
  await idp?.close();
});

const token = (claims: Record<string, unknown> = {}) =>
  idp.mintToken({
    aud: AUDIENCE,
    roles: ['Gatekeeper.Events.Send'],
    sub: 'relay',
    azp: 'relay-app',
    ...claims,
  });

function document(href = participantHref, anonymous = true) {
  return {
    _links: { self: { href: '/events?ack=9' }, next: { href: '/events?ack=10' } },
    sender: [
      {
        rel: 'conversation',
        href: conversationHref,
        events: [
          {
            link: { rel: 'participant', href },
            in: { rel: 'lobby', href: lobbyHref },
            type: 'added',
            // A relay could lie: the gatekeeper must re-read before acting.
            _embedded: {
              participant: {
                rel: 'participant',
                anonymous,
                _links: { self: { href }, eject: { href: `${href}/eject` } },
              },
            },
          },
        ],
      },
    ],
  };
}

async function push(body: string | undefined, authorization?: string, contentType = 'application/json') {
  return receiveEvents(world.rt, { authorization, contentType, body });
}

const ejects = () => world.sim.actions.filter((a) => a.kind === 'eject' || a.kind === 'reject');

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
    const eject = after.findIndex((r) => r.method === 'POST' && r.path.endsWith('/eject'));
    expect(read).toBeGreaterThanOrEqual(0);
    expect(read).toBeLessThan(eject);
  });
});

describe('POST /api/inspect', () => {
  const inspectToken = () => idp.mintToken({ aud: AUDIENCE, roles: ['Gatekeeper.Inspect'], sub: 'operator' });
  const call = async (body: unknown, authorization?: string) =>
    inspect(world.rt, { authorization, contentType: 'application/json', body: JSON.stringify(body) });

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
