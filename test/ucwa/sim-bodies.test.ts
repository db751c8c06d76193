import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { hrefOf, parseUcwaResource, type UcwaClient } from '../../shared/ucwa/index.js';
import { simClient, startSim } from '../helpers/ucwa-sim.js';

/** Every JSON body the simulator served to the client during a rich scenario, by the rel it declares. */
const bodies = new Map<string, unknown[]>();
let sim: UcwaSimulator;
let client: UcwaClient;

function remember(body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  const rel =
    'rel' in body && typeof body.rel === 'string' ? body.rel : 'sender' in body ? 'events' : 'unknown';
  bodies.set(rel, [...(bodies.get(rel) ?? []), body]);
}

beforeAll(async () => {
  // audioVideo needs Audio registered, which makeMeAvailable refuses: deliver it anyway to read its body.
  sim = await startSim({ participantIds: 'sip', modalities: { deliverRegisteredOnly: false } });
  const capture: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (/json/.test(response.headers.get('content-type') ?? '')) {
      remember(
        await response
          .clone()
          .json()
          .catch(() => undefined),
      );
    }
    return response;
  };
  client = simClient(sim, { fetch: capture });
  await client.discover();
  await client.application();
  const meetingUri = 'sip:org@contoso.com;gruu;opaque=app:conf:focus:id:BODIES';
  const meeting = sim.scenario.meeting({ onlineMeetingUri: meetingUri, accountIsLeader: true });
  const join = await client.joinOnlineMeeting(meetingUri);
  await meeting.whenJoined();
  await client.get('invitation', join.invitationHref ?? '');
  const guest = meeting.knock({ anonymous: true, name: 'G', sourceNetwork: 'PublicCloud' });
  const invitations = [
    sim.scenario.incomingIm({ name: 'A', uri: 'sip:a@contoso.com' }, 'hi', { embedFrom: false }),
    sim.scenario.incomingInvitation({ kind: 'audioVideo', from: { name: 'B', uri: 'sip:b@fabrikam.com' } }),
    sim.scenario.incomingInvitation({ kind: 'phoneAudio', from: { name: 'C', uri: 'sip:c@fabrikam.com' } }),
  ];
  const channel = await client.eventChannel();
  for (let i = 0; i < 4; i++) await channel.poll();
  for (const invitation of invitations) {
    const resource = await client.get('invitation', invitation.invitationHref);
    const from = hrefOf(resource, 'from');
    if (from) await client.get('from', from);
    const conversation = await client.get('conversation', invitation.conversationHref);
    const messaging = hrefOf(conversation, 'messaging');
    if (messaging) await client.get('messaging', messaging);
  }
  const participant = await client.get('participant', guest.participantHref);
  const conversation = await client.get('conversation', hrefOf(participant, 'conversation') ?? '');
  await client.get('lobby', hrefOf(conversation, 'lobby') ?? '');
  await client.get('onlineMeeting', hrefOf(conversation, 'onlineMeeting') ?? '');
  const app = await client.application();
  await client.get('communication', hrefOf(app.communication, 'self') ?? '');
});

afterAll(async () => {
  await sim?.close();
});

describe('every body the simulator serves', () => {
  it.each([
    'root',
    'user',
    'application',
    'events',
    'messagingInvitation',
    'audioVideoInvitation',
    'phoneAudioInvitation',
    'onlineMeetingInvitation',
    'participant',
    'from',
    'lobby',
    'conversation',
    'onlineMeeting',
    'messaging',
    'communication',
  ])('%s parses with parseUcwaResource', (rel) => {
    const served = bodies.get(rel) ?? [];
    expect(served.length, `the scenario should have read a ${rel}`).toBeGreaterThan(0);
    for (const body of served) expect(() => parseUcwaResource(rel, body)).not.toThrow();
  });
});
