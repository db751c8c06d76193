import { afterEach, describe, expect, it } from 'vitest';
import type { UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { type Body, Client, startSim, withTimeout } from './helpers.js';

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const MEETING_URI = 'sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:ODD1';

/** The embedded resources of one events document, by rel. */
function embedded(body: Body, rel: string): Body[] {
  return (body.sender ?? []).flatMap((sender: Body) =>
    sender.events.flatMap((event: Body) => (event._embedded?.[rel] ? [event._embedded[rel]] : [])),
  );
}

describe('odd payloads and delivery records', () => {
  it('patches only the event copy of a lobby participant; the resource stays as seeded', async () => {
    sim = await startSim();
    const meeting = sim.scenario.meeting({ onlineMeetingUri: MEETING_URI });
    const client = new Client(sim);
    const app = await client.createApplication();
    const joined = await client.post(app._embedded.communication._links.joinOnlineMeeting.href, {
      onlineMeetingUri: MEETING_URI,
    });
    expect(joined.status).toBe(201);
    const first = await client.get(withTimeout(app._links.events.href, 1));
    const guest = meeting.knock(
      { name: 'Guest', anonymous: true },
      { embedParticipant: true, embeddedPatch: { anonymous: 'true', role: null } },
    );
    const second = await client.get(withTimeout(first.body._links.next.href, 1));
    const [copy] = embedded(second.body, 'participant');
    expect(copy.anonymous).toBe('true');
    expect(copy).not.toHaveProperty('role');
    const resource = await client.get(guest.participantHref);
    expect(resource.body.anonymous).toBe(true);
    expect(resource.body.role).toBe('Attendee');
  });

  it('patches _embedded.from of the started event only', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const app = await client.createApplication();
    await client.makeMeAvailable(app);
    const warmup = await client.get(withTimeout(app._links.events.href));
    const handle = sim.scenario.incomingIm({ name: 'Lene', uri: 'sip:lenea@contoso.com' }, 'Hi', {
      embeddedFromPatch: { anonymous: 1 },
    });
    const batch = await client.get(withTimeout(warmup.body._links.next.href, 1));
    const [invitation] = embedded(batch.body, 'messagingInvitation');
    expect(invitation._embedded.from.anonymous).toBe(1);
    const served = await client.get(handle.invitationHref);
    expect(served.body._embedded.from.anonymous).toBe(false);
  });

  it('records the events each written P-GET answer carried', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const app = await client.createApplication();
    await client.makeMeAvailable(app);
    const reply = await client.get(withTimeout(app._links.events.href));
    expect(reply.status).toBe(200);
    const record = sim.requests.find((r) => r.path.includes('/events?') && r.status === 200);
    expect(record?.events?.map((e) => `${e.senderRel}:${e.rel}:${e.type}`)).toContain('me:presence:added');
    expect(record?.events?.every((e) => /^http:\/\//.test(e.href))).toBe(true);
  });
});
