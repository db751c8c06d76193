import { afterEach, describe, expect, it } from 'vitest';
import type { MeetingOptions, UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { type Body, Client, type FlatEvent, flatten, startSim, withTimeout } from './helpers.js';

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const MEETING_URI = 'sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:M4711';
const ORGANIZER = {
  name: 'Alice Wood',
  uri: 'sip:alice@contoso.com',
  sourceNetwork: 'SameEnterprise' as const,
};
const GUEST = { name: 'Guest 1', anonymous: true, sourceNetwork: 'PublicCloud' as const };

/** Joins a meeting with a fresh application; returns the client, the conversation and a poller. */
async function joined(options: Parameters<typeof startSim>[0] = {}, meeting: Partial<MeetingOptions> = {}) {
  sim = await startSim(options);
  sim.scenario.meeting({
    onlineMeetingUri: MEETING_URI,
    subject: 'Review',
    organizer: ORGANIZER,
    ...meeting,
  });
  const client = new Client(sim, sim.issueToken(), options.pathFamily ?? 'oauth');
  const app = await client.createApplication();
  let next: string = app._links.events.href;
  const poll = async (): Promise<FlatEvent[]> => {
    const reply = await client.get(withTimeout(next, 1));
    expect(reply.status).toBe(200);
    next = reply.body._links.next.href;
    return flatten([reply.body]);
  };
  const join = await client.post(app._embedded.communication._links.joinOnlineMeeting.href, {
    onlineMeetingUri: MEETING_URI,
    operationId: 'join-1',
  });
  expect(join.status).toBe(201);
  const joinEvents = await poll();
  const conversationHref: string = joinEvents.find((e) => e.rel === 'conversation')?.href ?? '';
  const conversation = (await client.get(conversationHref)).body;
  return { client, app, poll, join, joinEvents, conversation };
}

describe('online meetings', () => {
  it('joinOnlineMeeting → 201 + Location of the invitation, and the documented join events', async () => {
    const { client, join, joinEvents, conversation } = await joined();
    const location = String(join.headers.get('location'));
    expect(location).toMatch(/\/communication\/onlineMeetingInvitations\/[^/]+$/);
    expect(joinEvents.map((e) => `${e.sender}:${e.rel}:${e.type}${e.in ? `:${e.in}` : ''}`)).toEqual([
      'communication:onlineMeetingInvitation:started',
      'communication:conversation:added',
      'conversation:localParticipant:added',
      'conversation:onlineMeeting:added:conversation',
      'conversation:participant:added', // the organizer, already in the roster
      'conversation:participant:added:leaders', // … and so among the leaders
      'communication:onlineMeetingInvitation:completed',
      'communication:conversation:updated',
    ]);
    const started = joinEvents[0]?.embedded;
    expect(started).toMatchObject({
      direction: 'Outgoing',
      state: 'Connecting',
      operationId: 'join-1',
      onlineMeetingUri: MEETING_URI,
    });
    expect(joinEvents[6]).toMatchObject({ status: 'Success' });
    expect(joinEvents[7]?.embedded.state).toBe('Conferenced');
    expect((await client.get(location)).body.state).toBe('Connected');
    expect(Object.keys(conversation._links)).toEqual(
      expect.arrayContaining([
        'self',
        'participants',
        'localParticipant',
        'lobby',
        'leaders',
        'attendees',
        'onlineMeeting',
        'messaging',
      ]),
    );
    const onlineMeeting = (await client.get(conversation._links.onlineMeeting.href)).body;
    expect(onlineMeeting).toMatchObject({
      rel: 'onlineMeeting',
      onlineMeetingUri: MEETING_URI,
      organizerUri: 'sip:alice@contoso.com',
    });
    expect(onlineMeeting.leaders).toContain('sip:gatekeeper@contoso.com');
    const leaders = (await client.get(conversation._links.leaders.href)).body;
    expect(leaders._links.participant).toHaveLength(2); // organizer and the account
  });

  it('embeds the outgoing invitation in its events, or sends only the link when told to', async () => {
    const embedded = (await joined()).joinEvents.filter((e) => e.rel === 'onlineMeetingInvitation');
    expect(embedded.map((e) => e.embedded?.direction)).toEqual(['Outgoing', 'Outgoing']);
    await sim?.close();
    const linked = (await joined({ outgoingInvitationEvents: 'link' })).joinEvents.filter(
      (e) => e.rel === 'onlineMeetingInvitation',
    );
    expect(linked.map((e) => [e.type, e.embedded])).toEqual([
      ['started', undefined],
      ['completed', undefined],
    ]);
  });

  it('answers 404 DestinationNotFound for an unknown meeting, and accepts the URI as a query parameter', async () => {
    const { client, app } = await joined();
    const unknown = await client.post(app._embedded.communication._links.joinOnlineMeeting.href, {
      onlineMeetingUri: 'sip:nobody@contoso.com;gruu;opaque=app:conf:focus:id:NOPE',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'NotFound', subcode: 'DestinationNotFound' });
    const byQuery = await client.post(
      `${app._embedded.communication._links.joinOnlineMeeting.href}?onlineMeetingUri=${encodeURIComponent(MEETING_URI)}`,
    );
    expect(byQuery.status).toBe(201);
  });

  it('a knock puts the guest in the lobby with admit/reject/eject; eject → 204, lobby deleted + participant deleted', async () => {
    const { client, poll } = await joined();
    const meeting = sim?.scenario.getMeeting(MEETING_URI);
    const knock = meeting?.knock(GUEST, { embedParticipant: true });
    const [added] = await poll();
    expect(added).toMatchObject({
      sender: 'conversation',
      rel: 'participant',
      type: 'added',
      in: 'lobby',
      title: 'Guest 1',
    });
    expect(added?.href.endsWith(knock?.participantHref ?? '-')).toBe(true);
    const embedded = added?.embedded;
    expect(embedded).toMatchObject({
      rel: 'participant',
      anonymous: true,
      inLobby: true,
      sourceNetwork: 'PublicCloud',
    });
    expect(Object.keys(embedded._links)).toEqual(expect.arrayContaining(['admit', 'reject', 'eject']));

    const lobby = (await client.get(embedded._links.conversation.href.replace(/$/, '/lobby'))).body;
    expect(lobby.rel).toBe('lobby');
    expect(lobby._embedded.participant).toHaveLength(1);
    expect(lobby._embedded.participant[0]._links.self.href).toBe(embedded._links.self.href);

    const timeline: string[] = [];
    const onRequest = (r: { path: string; status: number }) => timeline.push(`request ${r.status}`);
    sim?.on('request', onRequest);
    sim?.on('response', (r) => timeline.push(`response ${r.status}`));
    sim?.on('action', (a) => timeline.push(`action ${a.kind}`));
    const eject = await client.post(embedded._links.eject.href);
    expect(eject.status).toBe(204);
    expect(timeline).toEqual(['request 0', 'action eject', 'response 204']);
    sim?.off('request', onRequest);
    const events = await poll();
    expect(events.map((e) => `${e.rel}:${e.type}${e.in ? `:${e.in}` : ''}`)).toEqual([
      'participant:deleted:lobby',
      'participant:deleted',
    ]);
    expect(sim?.actions.at(-1)).toMatchObject({
      kind: 'eject',
      meetingUri: MEETING_URI,
      href: expect.stringContaining('/eject'),
    });
    expect(meeting?.participants().map((p) => p.facts.name)).toEqual(['Alice Wood']);

    const gone = await client.post(embedded._links.eject.href);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: 'NotFound', subcode: 'ResourceNotFound' });
    expect((await client.get(embedded._links.self.href)).status).toBe(404);
  });

  it('reject → 204 with the same follow-ups; admit → lobby deleted + participant added to the roster', async () => {
    const { client, poll } = await joined();
    const meeting = sim?.scenario.getMeeting(MEETING_URI);
    const first = meeting?.knock(GUEST);
    const second = meeting?.knock({ name: 'Lene', uri: 'sip:lenea@contoso.com' });
    const knocks = await poll();
    expect(knocks.map((e) => e.in)).toEqual(['lobby', 'lobby']);
    expect(knocks[0]?.embedded).toBeUndefined(); // embedParticipant defaults to false: link only

    const guest = (await client.get(first?.participantHref ?? '')).body;
    expect((await client.post(guest._links.reject.href)).status).toBe(204);
    expect((await poll()).map((e) => `${e.type}${e.in ? `:${e.in}` : ''}`)).toEqual([
      'deleted:lobby',
      'deleted',
    ]);

    const colleague = (await client.get(second?.participantHref ?? '')).body;
    expect(colleague.sourceNetwork).toBe('SameEnterprise');
    expect((await client.post(colleague._links.admit.href)).status).toBe(204);
    const admitted = await poll();
    expect(admitted.map((e) => `${e.type}${e.in ? `:${e.in}` : ''}`)).toEqual([
      'deleted:lobby',
      'added',
      'added:attendees',
    ]);
    const after = (await client.get(second?.participantHref ?? '')).body;
    expect(after.inLobby).toBe(false);
    expect(after._links.admit).toBeUndefined();
    expect(after._links.reject).toBeUndefined();
    expect(after._links.eject).toBeDefined();
    const twice = await client.post(colleague._links.admit.href);
    expect(twice.status).toBe(409);
    expect(sim?.actions.filter((a) => ['reject', 'admit'].includes(a.kind)).map((a) => a.kind)).toEqual([
      'reject',
      'admit',
    ]);
  });

  it('reports a roster arrival as added, and added in attendees or leaders (switchable)', async () => {
    const { poll } = await joined();
    const meeting = sim?.scenario.getMeeting(MEETING_URI);
    meeting?.join({ name: 'Bypass', anonymous: true }, { embedParticipant: true });
    meeting?.join({ name: 'Presenter', role: 'Leader', uri: 'sip:p@contoso.com' });
    const events = await poll();
    expect(events.map((e) => `${e.type}${e.in ? `:${e.in}` : ''}:${e.title}`)).toEqual([
      'added:Bypass',
      'added:attendees:Bypass',
      'added:Presenter',
      'added:leaders:Presenter',
    ]);
    expect(events[1]?.embedded).toMatchObject({ anonymous: true, inLobby: false });
    await sim?.close();
    const quiet = await joined({ rosterEvents: false });
    sim?.scenario.getMeeting(MEETING_URI)?.join({ name: 'Bypass', anonymous: true });
    expect((await quiet.poll()).map((e) => e.in)).toEqual([undefined]);
  });

  it('never offers eject on the organizer, and offers nothing when the account is not a Leader', async () => {
    const { client, conversation } = await joined();
    const participants = (await client.get(conversation._links.participants.href)).body._links.participant;
    const organizer = (await client.get(participants[0].href)).body;
    expect(organizer).toMatchObject({ organizer: true, role: 'Leader' });
    expect(organizer._links.eject).toBeUndefined();
    expect((await client.post(`${organizer._links.self.href}/eject`)).status).toBe(403);

    await sim?.close();
    const attendee = await joined({}, { accountIsLeader: false });
    const meeting = sim?.scenario.getMeeting(MEETING_URI);
    const knock = meeting?.knock(GUEST);
    const [added] = await attendee.poll();
    expect(added?.in).toBe('lobby');
    const guest = (await attendee.client.get(knock?.participantHref ?? '')).body;
    expect(guest.inLobby).toBe(true);
    expect(Object.keys(guest._links).filter((rel) => ['admit', 'reject', 'eject'].includes(rel))).toEqual([]);
    const local = (await attendee.client.get(attendee.conversation._links.localParticipant.href)).body;
    expect(local).toMatchObject({ rel: 'localParticipant', role: 'Attendee', local: true });
    expect((await attendee.client.post(`${guest._links.self.href}/eject`)).status).toBe(403);
  });

  it('can restrict what a participant offers (only reject)', async () => {
    const { client, poll } = await joined();
    const knock = sim?.scenario
      .getMeeting(MEETING_URI)
      ?.knock(GUEST, { offer: ['reject'], embedParticipant: true });
    const [added] = await poll();
    expect(
      Object.keys(added?.embedded._links ?? {}).filter((rel) => ['admit', 'reject', 'eject'].includes(rel)),
    ).toEqual(['reject']);
    expect((await client.post(`${knock?.participantHref}/eject`)).status).toBe(403);
    expect((await client.post(`${knock?.participantHref}/reject`)).status).toBe(204);
  });

  it('a guest can leave by itself; people already waiting are announced when the account joins', async () => {
    sim = await startSim({ participantIds: 'sip' });
    const meeting = sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, organizer: ORGANIZER });
    const early = meeting.knock({ name: 'Early Bird', uri: 'sip:early@fabrikam.com' });
    expect(early.participantHref).toBe('');
    const client = new Client(sim);
    const app = await client.createApplication();
    const joinedPromise = meeting.whenJoined();
    await client.post(app._embedded.communication._links.joinOnlineMeeting.href, {
      onlineMeetingUri: MEETING_URI,
    });
    await joinedPromise;
    const reply = await client.get(withTimeout(app._links.events.href, 1));
    const events = flatten([reply.body]);
    const lobbyAdded = events.find((e) => e.in === 'lobby');
    expect(lobbyAdded?.href).toMatch(/\/participants\/early@fabrikam\.com$/);
    expect(early.participantHref).toMatch(/\/participants\/early@fabrikam\.com$/);
    const organizerAdded = events.find((e) => e.rel === 'participant' && !e.in);
    expect(organizerAdded?.href).toMatch(/\/participants\/alice@contoso\.com$/);

    expect(meeting.leave({ uri: 'sip:early@fabrikam.com' })).toBe(true);
    const left = await client.get(withTimeout(reply.body._links.next.href, 1));
    expect(flatten([left.body]).map((e) => `${e.type}${e.in ? `:${e.in}` : ''}`)).toEqual([
      'deleted:lobby',
      'deleted',
    ]);
    expect(meeting.leave({ uri: 'sip:early@fabrikam.com' })).toBe(false);
    expect(meeting.participants().map((p) => p.where)).toEqual(['roster']);
  });

  it('adds messaging to a meeting conversation and sends into it', async () => {
    const { client, conversation, poll } = await joined({ pathFamily: 'v1' });
    const messaging: Body = (await client.get(conversation._links.messaging.href)).body;
    expect(messaging.state).toBe('Disconnected');
    expect(messaging._links.sendMessage).toBeUndefined();
    const add = await client.post(messaging._links.addMessaging.href, { operationId: 'add-1' });
    expect(add.status).toBe(201);
    const events = await poll();
    const connected = events.find((e) => e.rel === 'messaging')?.embedded;
    expect(connected.state).toBe('Connected');
    const sent = await client.request('POST', `${connected._links.sendMessage.href}?operationId=m1`, {
      body: 'ejected 1 guest',
      type: 'text/plain',
    });
    expect(sent.status).toBe(201);
    expect(sim?.actions.at(-1)).toMatchObject({
      kind: 'sendMessage',
      meetingUri: MEETING_URI,
      body: { text: 'ejected 1 guest' },
    });
  });

  it('ejects several participants in one batch', async () => {
    const { client, app, poll } = await joined();
    const meeting = sim?.scenario.getMeeting(MEETING_URI);
    const guests = [1, 2, 3].map((n) => meeting?.knock({ name: `Anon ${n}`, anonymous: true }));
    await poll();
    const boundary = 'b7c1';
    const parts = guests.map(
      (guest) =>
        `--${boundary}\r\nContent-Type: application/http; msgtype=request\r\n\r\nPOST ${guest?.participantHref}/eject HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Length: 0\r\n\r\n`,
    );
    const reply = await client.request('POST', app._links.batch.href, {
      body: `${parts.join('\r\n')}\r\n--${boundary}--\r\n`,
      type: `multipart/batching;boundary=${boundary}`,
    });
    expect(reply.status).toBe(200);
    expect(reply.text.match(/HTTP\/1\.1 204 No Content/g)).toHaveLength(3);
    const events = await poll();
    expect(events.filter((e) => e.type === 'deleted' && !e.in)).toHaveLength(3);
    expect(sim?.actions.filter((a) => a.kind === 'eject')).toHaveLength(3);
    expect(meeting?.participants()).toHaveLength(1);
  });

  it('an incoming onlineMeeting invitation joins the meeting on accept (Conferenced, lobby visible)', async () => {
    sim = await startSim();
    const meeting = sim.scenario.meeting({
      onlineMeetingUri: MEETING_URI,
      organizer: ORGANIZER,
      accountIsLeader: true,
    });
    meeting.knock(GUEST);
    const client = new Client(sim);
    const app = await client.createApplication();
    await client.makeMeAvailable(app);
    let next: string = (await client.get(withTimeout(app._links.events.href))).body._links.next.href;
    const poll = async () => {
      const reply = await client.get(withTimeout(next, 1));
      next = reply.body._links.next.href;
      return flatten([reply.body]);
    };
    const handle = sim.scenario.incomingInvitation({
      kind: 'onlineMeeting',
      from: ORGANIZER,
      onlineMeetingUri: MEETING_URI,
      subject: 'Join us',
    });
    expect(handle.delivered).toBe(true);
    const started = await poll();
    const invitation = started[0]?.embedded;
    expect(invitation).toMatchObject({
      rel: 'onlineMeetingInvitation',
      direction: 'Incoming',
      onlineMeetingUri: MEETING_URI,
    });
    expect(started[0]?.embedded._embedded.from).toMatchObject({ organizer: true, role: 'Leader' });
    expect((await client.post(invitation._links.accept.href)).status).toBe(204);
    const joinedEvents = await poll();
    expect(joinedEvents.map((e) => `${e.rel}:${e.type}${e.in ? `:${e.in}` : ''}`)).toEqual([
      'onlineMeeting:added:conversation',
      'participant:added:lobby',
      'onlineMeetingInvitation:completed',
      'conversation:updated',
    ]);
    expect(joinedEvents.at(-1)?.embedded.state).toBe('Conferenced');
    const lobby = (await client.get(`${handle.conversationHref}/lobby`)).body;
    expect(lobby._embedded.participant[0]._links.eject).toBeDefined();
  });
});
