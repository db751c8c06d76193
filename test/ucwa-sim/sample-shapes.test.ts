/**
 * Every body the simulator serves uses the property names and link rels of the official reference samples
 * (read at test time from ../shared/ucwa-samples or $UCWA_SAMPLES_DIR; skipped, saying so, without them) or of
 * the reference page's property/link tables in index.json: the simulator invents no names. Where the
 * simulator claims to serve a resource in full, the sample's property names must all be there too. Events
 * must be documented (resource, type, sender).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParticipantSeed, UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { SAMPLES_DIR, SAMPLES_PRESENT, withSamplesNote } from '../helpers/samples.js';
import { type Body, Client, flatten, startSim, withTimeout } from './helpers.js';

const SAMPLES = SAMPLES_DIR;

interface ResourcePage {
  properties?: string[];
  links?: string[];
  events?: { type: string; resource: string; sender: string }[];
}

function sample(file: string): Body {
  return JSON.parse(readFileSync(join(SAMPLES, file), 'utf8'));
}

const FULL_FACTS: ParticipantSeed = {
  anonymous: true,
  inLobby: false,
  local: false,
  name: 'Joe Smith',
  organizer: false,
  role: 'Attendee',
  sourceNetwork: 'PublicCloud',
  uri: 'sip:joe@fabrikam.com',
  workPhoneNumber: 'tel:+14251111111',
  otherPhoneNumber: 'tel:+14251111112',
};

const DATA_URI_PROPERTIES = new Set(['message', 'customContent', 'htmlMessage', 'plainMessage']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Sample property names the simulator leaves out on purpose (the docs: any property may be missing). */
const NOT_SERVED: Record<string, string[]> = {
  communication: ['lisLocation', 'lisQueryResult', 'phoneNumber'],
  me: ['homePhoneNumber', 'mobilePhoneNumber', 'officeLocation', 'otherPhoneNumber', 'workPhoneNumber'],
};

/** `completed` is documented for every operation (OperationResource.md; docs/ucwa-protocol.md §14) but missing from some tables. */
const COMPLETED_OPERATIONS = new Set([
  'messagingInvitation',
  'onlineMeetingInvitation',
  'audioVideoInvitation',
  'phoneAudioInvitation',
  'message',
]);

function parts(body: Body) {
  const { _links = {}, _embedded = {}, ...props } = body;
  return { props: Object.keys(props), links: Object.keys(_links), embedded: Object.keys(_embedded) };
}

describe.skipIf(!SAMPLES_PRESENT)(withSamplesNote('served bodies follow the reference samples'), () => {
  it('has the reference samples to compare with', () => {
    expect(existsSync(join(SAMPLES, 'index.json'))).toBe(true);
  });

  let sim: UcwaSimulator;
  let index: { resources: Record<string, ResourcePage> };
  const served = new Map<string, Body[]>();
  const batches: Body[] = [];
  const serve = (resource: string, body: Body) => {
    expect(body, `${resource} body`).toBeTypeOf('object');
    served.set(resource, [...(served.get(resource) ?? []), body]);
  };

  /** Checks one served body against a sample file and/or the reference page tables. */
  function check(
    resource: string,
    body: Body,
    sampleFile?: string,
    opts: { fullProps?: boolean; page?: string } = {},
  ) {
    const page = index.resources[opts.page ?? resource] ?? {};
    const reference = sampleFile ? parts(sample(sampleFile)) : { props: [], links: [], embedded: [] };
    const mine = parts(body);
    const knownProps = new Set([...reference.props, ...(page.properties ?? []), 'rel']);
    // Documented as properties, carried as data-URI links in every sample (docs/ucwa-protocol.md §14).
    const dataUriProps = (page.properties ?? []).filter((p) => DATA_URI_PROPERTIES.has(p));
    const knownLinks = new Set([...reference.links, ...(page.links ?? []), ...dataUriProps]);
    const knownEmbedded = new Set([...reference.embedded, ...(page.links ?? [])]);
    const invented = mine.props.filter(
      (p) => !knownProps.has(p) && !(resource === 'communication' && GUID.test(p)),
    );
    expect(invented, `${resource}: properties not in the reference`).toEqual([]);
    expect(
      mine.links.filter((l) => !knownLinks.has(l)),
      `${resource}: link rels not in the reference`,
    ).toEqual([]);
    expect(
      mine.embedded.filter((e) => !knownEmbedded.has(e)),
      `${resource}: embedded rels not in the reference`,
    ).toEqual([]);
    expect(mine.links, `${resource}: self link`).toContain('self');
    if (opts.fullProps && sampleFile) {
      const missing = reference.props.filter(
        (p) => !mine.props.includes(p) && !(NOT_SERVED[resource] ?? []).includes(p),
      );
      expect(missing, `${resource}: sample properties not served`).toEqual([]);
    }
  }

  beforeAll(async () => {
    index = JSON.parse(readFileSync(join(SAMPLES, 'index.json'), 'utf8'));
    // Audio is refused by a real server's makeMeAvailable; allowed here so an audioVideo invitation arrives.
    sim = await startSim({ pathFamily: 'v1', modalities: { allowed: ['Messaging', 'PhoneAudio', 'Audio'] } });
    const client = new Client(
      sim,
      sim.issueToken({ scopes: ['Conversations.Initiate', 'Conversations.Receive', 'User.ReadWrite'] }),
      'v1',
    );
    let next = '';
    const poll = async () => {
      const reply = await client.get(withTimeout(next, 0.3));
      next = reply.body._links.next.href;
      batches.push(reply.body);
      return flatten([reply.body]);
    };

    // Discovery.
    const root = (await (await fetch(sim.discoveryUrl)).json()) as Body;
    serve('root', root);
    serve('user', (await client.get(new URL(root._links.user.href, sim.discoveryUrl).toString())).body);

    // Application, me, communication.
    const app = await client.createApplication({ instanceId: 'shape-test' });
    serve('application', app);
    next = app._links.events.href;
    await client.makeMeAvailable(app, {
      supportedModalities: ['Messaging', 'PhoneAudio', 'Audio'],
      supportedMessageFormats: ['Plain', 'Html'],
    });
    await poll();
    serve('me', (await client.get(app._embedded.me._links.self.href)).body);
    serve('communication', (await client.get(app._embedded.communication._links.self.href)).body);
    serve('policies', (await client.get(app._links.policies.href)).body);

    // An incoming IM with every participant property, accepted.
    sim.scenario.incomingIm(FULL_FACTS, 'Hello there');
    const started = (await poll())[0]?.embedded;
    serve('messagingInvitation', (await client.get(started._links.self.href)).body);
    serve('participant', started._embedded.from);
    serve('from', (await client.get(started._links.from.href)).body);
    serve('participant', (await client.get(started._embedded.from._links.self.href)).body);
    const conversation = (await client.get(started._links.conversation.href)).body;
    serve('conversation', conversation);
    serve('localParticipant', (await client.get(conversation._links.localParticipant.href)).body);
    await client.post(started._links.accept.href);
    const accepted = await poll();
    serve('messaging', (await client.get(started._links.messaging.href)).body);
    const messageHref = accepted.find((e) => e.rel === 'message')?.href ?? '';
    serve('message', (await client.get(messageHref)).body);
    const participantMessaging = accepted.find((e) => e.rel === 'participantMessaging')?.href ?? '';
    serve('participantMessaging', (await client.get(participantMessaging)).body);
    serve('messages', (await client.get(messageHref.replace(/\/[^/]+$/, ''))).body);
    serve('conversations', (await client.get(app._embedded.communication._links.conversations.href)).body);

    // Calls.
    sim.scenario.incomingInvitation({ kind: 'audioVideo', from: FULL_FACTS, subject: 'call' });
    serve('audioVideoInvitation', (await client.get((await poll())[0]?.href ?? '')).body);
    sim.scenario.incomingInvitation({ kind: 'phoneAudio', from: FULL_FACTS });
    serve('phoneAudioInvitation', (await client.get((await poll())[0]?.href ?? '')).body);

    // A meeting with a guest in the lobby.
    const uri = 'sip:bob@contoso.com;gruu;opaque=app:conf:focus:id:SHAPE';
    const meeting = sim.scenario.meeting({
      onlineMeetingUri: uri,
      subject: 'Shapes',
      organizer: { name: 'Bob', uri: 'sip:bob@contoso.com' },
    });
    const joined = await client.post(app._embedded.communication._links.joinOnlineMeeting.href, {
      onlineMeetingUri: uri,
      operationId: 'op',
    });
    serve('onlineMeetingInvitation', (await client.get(String(joined.headers.get('location')))).body);
    const joinEvents = await poll();
    const meetingConversation = (
      await client.get(joinEvents.find((e) => e.rel === 'conversation')?.href ?? '')
    ).body;
    serve('conversation', meetingConversation);
    serve('onlineMeeting', (await client.get(meetingConversation._links.onlineMeeting.href)).body);
    meeting.knock(FULL_FACTS, { embedParticipant: true });
    const knock = await poll();
    serve('participant', knock[0]?.embedded);
    const lobby = (await client.get(meetingConversation._links.lobby.href)).body;
    serve('lobby', lobby);
    serve('participant', lobby._embedded.participant[0]);
    serve('leaders', (await client.get(meetingConversation._links.leaders.href)).body);
    await client.post(lobby._embedded.participant[0]._links.eject.href);
    await poll();
  });

  afterAll(async () => {
    await sim?.close();
  });

  it('root and user', () => {
    for (const body of served.get('root') ?? []) check('root', body, 'root/response-1.json');
    for (const body of served.get('user') ?? []) check('user', body, 'user/response-1.json');
  });

  it('application with its embedded me, communication, people, onlineMeetings', () => {
    const [app] = served.get('application') ?? [];
    check('application', app, 'applications/response-1.json', { fullProps: true });
    expect(parts(app).links.sort()).toEqual(parts(sample('applications/response-1.json')).links.sort());
    expect(parts(app).embedded.sort()).toEqual(parts(sample('applications/response-1.json')).embedded.sort());
    check('me', app._embedded.me, 'me/response-1.json', { fullProps: true });
    check('communication', app._embedded.communication, 'communication/response-1.json', { fullProps: true });
    check('people', app._embedded.people, 'people/response-1.json');
    check('onlineMeetings', app._embedded.onlineMeetings);
  });

  it('me, communication, policies as GET returns them', () => {
    for (const body of served.get('me') ?? []) check('me', body, 'me/response-1.json', { fullProps: true });
    for (const body of served.get('communication') ?? [])
      check('communication', body, 'communication/response-1.json', { fullProps: true });
    for (const body of served.get('policies') ?? []) check('policies', body, 'policies/response-1.json');
  });

  it('invitations of every kind', () => {
    for (const body of served.get('messagingInvitation') ?? []) check('messagingInvitation', body);
    check(
      'audioVideoInvitation',
      served.get('audioVideoInvitation')?.[0],
      'audioVideoInvitation/response-1.json',
    );
    check(
      'phoneAudioInvitation',
      served.get('phoneAudioInvitation')?.[0],
      'phoneAudioInvitation/response-1.json',
    );
    check(
      'onlineMeetingInvitation',
      served.get('onlineMeetingInvitation')?.[0],
      'onlineMeetingInvitation/response-1.json',
    );
  });

  it('participant, from, localParticipant', () => {
    const participants = served.get('participant') ?? [];
    expect(participants.length).toBeGreaterThanOrEqual(4);
    for (const body of participants)
      check('participant', body, 'participant/response-1.json', { fullProps: true });
    check('from', served.get('from')?.[0], 'participant/response-1.json', { fullProps: true });
    expect(served.get('from')?.[0].rel).toBe('from');
    check('localParticipant', served.get('localParticipant')?.[0]);
  });

  it('conversation, lobby, leaders, onlineMeeting, conversations', () => {
    for (const body of served.get('conversation') ?? [])
      check('conversation', body, 'conversation/response-1.json', { fullProps: true });
    check('lobby', served.get('lobby')?.[0], 'lobby/response-1.json');
    check('leaders', served.get('leaders')?.[0], 'leaders/response-1.json');
    check('onlineMeeting', served.get('onlineMeeting')?.[0], 'onlineMeeting/response-1.json', {
      fullProps: true,
    });
    check('conversations', served.get('conversations')?.[0], 'conversations/response-1.json');
  });

  it('messaging, message, messages, participantMessaging', () => {
    check('messaging', served.get('messaging')?.[0]);
    check('message', served.get('message')?.[0]);
    check('messages', served.get('messages')?.[0], 'messages/response-1.json');
    check(
      'participantMessaging',
      served.get('participantMessaging')?.[0],
      'participantMessaging/response-1.json',
    );
  });

  it('events: response, sender and event shapes, and only documented (resource, type, sender) triples', () => {
    const documented = new Set<string>();
    for (const page of Object.values(index.resources)) {
      for (const event of page.events ?? [])
        documented.add(`${event.sender}:${event.resource}:${event.type}`);
    }
    const eventSample = sample('lobby/event-added-1.json');
    expect(batches.length).toBeGreaterThan(5);
    for (const batch of batches) {
      for (const key of Object.keys(batch)) expect(Object.keys(eventSample)).toContain(key);
      for (const rel of Object.keys(batch._links))
        expect(['self', 'next', 'resume', 'resync']).toContain(rel);
      for (const sender of batch.sender ?? []) {
        expect(Object.keys(sender).sort()).toEqual(Object.keys(eventSample.sender[0]).sort());
        for (const event of sender.events) {
          for (const key of Object.keys(event))
            expect(['link', 'in', 'type', '_embedded', 'status', 'reason']).toContain(key);
          for (const key of Object.keys(event.link)) expect(['rel', 'href', 'title']).toContain(key);
          if (event.in) expect(Object.keys(event.in).sort()).toEqual(['href', 'rel']);
          if (event._embedded) expect(Object.keys(event._embedded)).toEqual([event.link.rel]);
          const triple = `${sender.rel}:${event.link.rel}:${event.type}`;
          const ok =
            documented.has(triple) ||
            (event.type === 'completed' && COMPLETED_OPERATIONS.has(event.link.rel));
          expect(ok, `undocumented event ${triple}`).toBe(true);
        }
      }
    }
  });
});
