import { afterEach, describe, expect, it } from 'vitest';
import type { ParticipantSeed, UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { type Body, Client, type FlatEvent, flatten, startSim, withTimeout } from './helpers.js';

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const LENE: ParticipantSeed = {
  anonymous: false,
  inLobby: false,
  local: false,
  name: 'Lene Aaling',
  organizer: false,
  role: 'Attendee',
  sourceNetwork: 'SameEnterprise',
  uri: 'sip:lenea@contoso.com',
  workPhoneNumber: 'tel:+14255550101',
  otherPhoneNumber: 'tel:+14255550102',
};

/** An available application and a channel positioned after the makeMeAvailable events. */
async function availableApp(
  options: Parameters<typeof startSim>[0] = {},
  modalities = ['Messaging', 'PhoneAudio'],
) {
  sim = await startSim(options);
  const client = new Client(sim, sim.issueToken(), options.pathFamily ?? 'oauth');
  const app = await client.createApplication();
  await client.makeMeAvailable(app, {
    supportedModalities: modalities,
    supportedMessageFormats: ['Plain', 'Html'],
  });
  const warmup = await client.get(withTimeout(app._links.events.href));
  let next: string = warmup.body._links.next.href;
  /** Reads the next batch (waiting up to 1 s). */
  const poll = async (): Promise<FlatEvent[]> => {
    const reply = await client.get(withTimeout(next, 1));
    expect(reply.status).toBe(200);
    next = reply.body._links.next.href;
    return flatten([reply.body]);
  };
  /** Reads batches until one event matches; returns everything read. */
  const pollUntil = async (match: (event: FlatEvent) => boolean): Promise<FlatEvent[]> => {
    const seen: FlatEvent[] = [];
    for (let i = 0; i < 10 && !seen.some(match); i++) seen.push(...(await poll()));
    return seen;
  };
  return { client, app, poll, pollUntil };
}

describe('incoming invitations', () => {
  it('delivers started + conversation added + localParticipant added + participant added in one batch, with from embedded', async () => {
    const { client, poll } = await availableApp();
    const handle = sim?.scenario.incomingIm(LENE, 'Hi Tosh, got a minute?', {
      subject: 'Deck',
      importance: 'Urgent',
    });
    expect(handle?.delivered).toBe(true);
    const events = await poll();
    expect(events.map((e) => `${e.sender}:${e.rel}:${e.type}`)).toEqual([
      'communication:messagingInvitation:started',
      'communication:conversation:added',
      'conversation:localParticipant:added',
      'conversation:participant:added',
    ]);
    const [started, conversationAdded, , participantAdded] = events;
    expect(conversationAdded?.embedded.state).toBe('Incoming');
    expect(participantAdded?.title).toBe('Lene Aaling');
    const invitation = started?.embedded;
    expect(invitation).toMatchObject({
      rel: 'messagingInvitation',
      direction: 'Incoming',
      state: 'Connecting',
      subject: 'Deck',
      importance: 'Urgent',
      to: 'sip:gatekeeper@contoso.com',
    });
    expect(Object.keys(invitation._links)).toEqual(
      expect.arrayContaining(['self', 'accept', 'decline', 'conversation', 'messaging', 'from', 'message']),
    );
    expect(invitation._links.message.href).toBe('data:text/plain;charset=utf-8,Hi+Tosh%2C+got+a+minute%3F');
    const from = invitation._embedded.from;
    expect(from).toEqual({ rel: 'participant', ...LENE, _links: expect.any(Object) });
    expect(from._links.self.href).not.toBe(invitation._links.from.href);
    expect(from._links.self.href).toBe(handle?.participantHref);
    expect(invitation._links.from.href).toBe(handle?.fromHref);

    // The invitation, its from, the conversation and the participant are all readable.
    expect((await client.get(invitation._links.self.href)).body.state).toBe('Connecting');
    const fromResource = await client.get(invitation._links.from.href);
    expect(fromResource.body).toMatchObject({
      rel: 'from',
      name: 'Lene Aaling',
      sourceNetwork: 'SameEnterprise',
    });
    expect((await client.get(from._links.self.href)).body.rel).toBe('participant');
    const conversation = await client.get(invitation._links.conversation.href);
    expect(conversation.body.state).toBe('Incoming');
    const local = await client.get(conversation.body._links.localParticipant.href);
    expect(local.body).toMatchObject({
      rel: 'localParticipant',
      local: true,
      uri: 'sip:gatekeeper@contoso.com',
    });
    const participants = await client.get(conversation.body._links.participants.href);
    expect(participants.body._links.participant).toEqual([
      { href: from._links.self.href, title: 'Lene Aaling' },
    ]);
  });

  it('sends only the from link when embedFrom is false; GET of it answers rel "from"', async () => {
    const { client, poll } = await availableApp();
    sim?.scenario.incomingIm(
      { name: 'Anon', anonymous: true, sourceNetwork: 'PublicCloud', uri: null },
      'win',
      {
        embedFrom: false,
        messageEncoding: 'base64',
      },
    );
    const [started] = await poll();
    const invitation = started?.embedded;
    expect(invitation._embedded).toBeUndefined();
    expect(invitation._links.message.href).toBe(
      `data:text/plain;charset=utf-8;base64,${Buffer.from('win').toString('base64')}`,
    );
    const from = await client.get(invitation._links.from.href);
    expect(from.status).toBe(200);
    expect(from.body.rel).toBe('from');
    expect(from.body).toMatchObject({ anonymous: true, name: 'Anon', sourceNetwork: 'PublicCloud' });
    expect(from.body.uri).toBeUndefined(); // null in the seed leaves the property out
  });

  it('can leave the invitation itself out of the started event', async () => {
    const { client, poll } = await availableApp();
    sim?.scenario.incomingIm(LENE, 'x', { embedInvitation: false });
    const [started] = await poll();
    expect(started?.embedded).toBeUndefined();
    expect((await client.get(started?.href ?? '')).body.rel).toBe('messagingInvitation');
  });

  it('accept → 204 and the documented follow-ups; a second accept is 409', async () => {
    const { client, poll } = await availableApp();
    sim?.scenario.incomingIm(LENE, 'Hello there', { updatedEvent: true });
    const first = await poll();
    const invitation = first[0]?.embedded;
    const updated = first.find((e) => e.type === 'updated');
    expect(updated?.embedded._links.accept).toBeUndefined(); // ReceiveAnIM: links vanish from the update...
    const accept = await client.post(invitation._links.accept.href); // ...but the cached href still works
    expect(accept.status).toBe(204);
    const events = await poll();
    expect(events.map((e) => `${e.rel}:${e.type}${e.in ? `:${e.in}` : ''}`)).toEqual([
      'messaging:updated',
      'conversation:updated',
      'participantMessaging:added:participant',
      'participantMessaging:added:localParticipant',
      'messagingInvitation:completed',
      'message:completed',
    ]);
    const messaging = events[0]?.embedded;
    expect(messaging.state).toBe('Connected');
    expect(messaging.negotiatedMessageFormats).toEqual(['Plain', 'Html']);
    expect(Object.keys(messaging._links)).toEqual(
      expect.arrayContaining(['sendMessage', 'stopMessaging', 'setIsTyping', 'typingParticipants']),
    );
    expect(events[1]?.embedded).toMatchObject({ state: 'Connected', activeModalities: ['Messaging'] });
    expect(events[4]).toMatchObject({ status: 'Success' });
    expect(events[4]?.embedded.state).toBe('Connected');
    const message = events[5]?.embedded;
    expect(message).toMatchObject({ rel: 'message', direction: 'Incoming' });
    expect(message._links.plainMessage.href).toBe('data:text/plain;charset=utf-8,Hello+there');
    expect(message._links.participant.title).toBe('Lene Aaling');

    const again = await client.post(invitation._links.accept.href);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('Conflict');
    expect(sim?.actions.filter((a) => a.kind === 'accept')).toHaveLength(1);
    expect(sim?.actions.find((a) => a.kind === 'accept')?.participantUri).toBe('sip:lenea@contoso.com');
  });

  it('decline (with a reason) → 204, invitation completed as Declined, conversation deleted', async () => {
    const { client, poll } = await availableApp();
    sim?.scenario.incomingIm(LENE, 'hi');
    const invitation = (await poll())[0]?.embedded;
    expect((await client.post(invitation._links.decline.href, { reason: 'Bogus' })).status).toBe(400);
    const decline = await client.post(invitation._links.decline.href, { reason: 'Local' });
    expect(decline.status).toBe(204);
    const events = await poll();
    expect(events.map((e) => `${e.rel}:${e.type}`)).toEqual([
      'messagingInvitation:completed',
      'conversation:deleted',
    ]);
    expect(events[0]?.embedded.state).toBe('Declined');
    expect(events[0]?.raw.reason).toMatchObject({ subcode: 'Declined' });
    expect((await client.get(invitation._links.self.href)).body.state).toBe('Declined');
    expect((await client.get(invitation._links.conversation.href)).status).toBe(404);
    expect((await client.post(invitation._links.decline.href)).status).toBe(409);
    expect(sim?.actions.at(-1)).toMatchObject({ kind: 'decline', body: { reason: 'Local' } });
  });

  it('delivers an invitation only for a registered modality', async () => {
    const { poll } = await availableApp({}, ['Messaging']);
    expect(sim?.scenario.incomingInvitation({ kind: 'phoneAudio', from: LENE }).delivered).toBe(false);
    expect(sim?.scenario.incomingInvitation({ kind: 'audioVideo', from: LENE }).delivered).toBe(false);
    expect(sim?.scenario.incomingIm(LENE, 'hi').delivered).toBe(true);
    expect(sim?.scenario.undelivered.map((u) => [u.options.kind, u.reason])).toEqual([
      ['phoneAudio', 'modalityNotRegistered'],
      ['audioVideo', 'modalityNotRegistered'],
    ]);
    expect((await poll()).map((e) => e.rel)).toContain('messagingInvitation');
  });

  it('offers acceptWithAnswer for audioVideo and only decline for phoneAudio', async () => {
    // A real makeMeAvailable refuses Audio (403); this simulator is told to accept it.
    const { client, poll } = await availableApp(
      { modalities: { allowed: ['Messaging', 'PhoneAudio', 'Audio'] } },
      ['Messaging', 'PhoneAudio', 'Audio'],
    );
    sim?.scenario.incomingInvitation({ kind: 'audioVideo', from: LENE, subject: 'call' });
    const av = (await poll())[0]?.embedded;
    expect(av.rel).toBe('audioVideoInvitation');
    expect(av._links.accept).toBeUndefined();
    expect(av._links.acceptWithAnswer).toBeDefined();
    expect(av._links.decline).toBeDefined();
    expect(av._links.audioVideo).toBeDefined();
    sim?.scenario.incomingInvitation({ kind: 'phoneAudio', from: LENE });
    const phone = (await poll())[0]?.embedded;
    expect(phone.rel).toBe('phoneAudioInvitation');
    expect(Object.keys(phone._links).filter((rel) => rel.startsWith('accept'))).toEqual([]);
    expect(phone._links.decline).toBeDefined();
    const forced = await client.post(`${phone._links.self.href}/accept`);
    expect(forced.status).toBe(403);
    expect((await client.post(phone._links.decline.href)).status).toBe(204);
    expect(
      (
        await client.request('POST', av._links.acceptWithAnswer.href, {
          body: 'v=0',
          type: 'application/sdp',
        })
      ).status,
    ).toBe(204);
  });

  it('is not delivered in lurker mode (before makeMeAvailable) and is recorded as undeliverable', async () => {
    sim = await startSim();
    const none = sim.scenario.incomingIm(LENE, 'nobody home');
    expect(none.delivered).toBe(false);
    const client = new Client(sim);
    const app = await client.createApplication();
    const lurker = sim.scenario.incomingIm(LENE, 'still nobody');
    expect(lurker).toMatchObject({ delivered: false, invitationHref: '' });
    expect(sim.scenario.undelivered.map((u) => u.reason)).toEqual(['noApplication', 'notAvailable']);
    const reply = await client.get(withTimeout(app._links.events.href, 0.1));
    expect(reply.body.sender).toBeUndefined();
  });

  it('reports a remote cancel and lets the sender write again once connected', async () => {
    const { client, poll } = await availableApp();
    const cancelled = sim?.scenario.incomingIm(LENE, 'nevermind');
    await poll();
    cancelled?.cancel();
    const events = await poll();
    expect(events.map((e) => `${e.rel}:${e.type}`)).toEqual([
      'messagingInvitation:completed',
      'conversation:deleted',
    ]);
    expect(events[0]?.raw.reason.subcode).toBe('Canceled');

    const chat = sim?.scenario.incomingIm(LENE, 'first');
    const invitation = (await poll())[0]?.embedded;
    expect(chat?.say('too early')).toBe(false);
    await client.post(invitation._links.accept.href);
    await poll();
    expect(chat?.say('second')).toBe(true);
    const [message] = await poll();
    expect(message?.embedded._links.plainMessage.href).toContain('second');
  });
});

describe('messaging', () => {
  async function connected() {
    const setup = await availableApp();
    sim?.scenario.incomingIm(LENE, 'hi');
    const invitation = (await setup.poll())[0]?.embedded;
    await setup.client.post(invitation._links.accept.href);
    const events = await setup.poll();
    const messaging: Body = events.find((e) => e.rel === 'messaging')?.embedded;
    return { ...setup, messaging };
  }

  it('sendMessage: 201 + Location, a message completed event, recorded text; retries with the same operationId are not sent twice', async () => {
    const { client, poll, messaging } = await connected();
    const send = (text: string, operationId: string, type = 'text/plain') =>
      client.request('POST', `${messaging._links.sendMessage.href}?operationId=${operationId}`, {
        body: text,
        type,
      });
    const sent = await send('Daily summary: 3 invitations', 'op-1');
    expect(sent.status).toBe(201);
    const location = String(sent.headers.get('location'));
    expect(location).toMatch(/\/messaging\/messages\/[^/]+$/);
    const [event] = await poll();
    expect(event).toMatchObject({ rel: 'message', type: 'completed', status: 'Success' });
    const message = await client.get(location);
    expect(message.body).toMatchObject({
      rel: 'message',
      direction: 'Outgoing',
      status: 'Succeeded',
      operationId: 'op-1',
    });
    expect(message.body._links.plainMessage.href).toBe(
      'data:text/plain;charset=utf-8,Daily+summary%3A+3+invitations',
    );

    const retry = await send('Daily summary: 3 invitations', 'op-1');
    expect(retry.headers.get('location')).toBe(location);
    expect(sim?.actions.filter((a) => a.kind === 'sendMessage').map((a) => a.body)).toEqual([
      { text: 'Daily summary: 3 invitations' },
    ]);

    expect((await send('<b>bold</b>', 'op-2', 'text/html')).status).toBe(201);
    expect((await send('{}', 'op-3', 'application/json')).status).toBe(415);
  });

  it('stopMessaging takes sendMessage away; sending then is 409', async () => {
    const { client, poll, messaging } = await connected();
    expect((await client.post(messaging._links.stopMessaging.href)).status).toBe(204);
    const [update] = await poll();
    expect(update?.embedded.state).toBe('Disconnected');
    expect(update?.embedded._links.sendMessage).toBeUndefined();
    const late = await client.request('POST', `${messaging._links.sendMessage.href}?operationId=x`, {
      body: 'hi',
      type: 'text/plain',
    });
    expect(late.status).toBe(409);
  });

  it('startMessaging opens a conversation the far end accepts; declines and silence fail the invitation', async () => {
    const { client, app, pollUntil } = await availableApp({ pathFamily: 'v1' });
    const start = await client.post(app._embedded.communication._links.startMessaging.href, {
      to: 'sip:reports@contoso.com',
      subject: 'Digest',
      operationId: 'op-start',
      _links: { message: { href: 'data:text/plain;charset=utf-8,first+line' } },
    });
    expect(start.status).toBe(201);
    expect(start.headers.get('location')).toMatch(/\/communication\/invitations\/\d+$/);
    // The far end answers after the 201: its events may come in a later batch.
    const events = await pollUntil((e) => e.rel === 'message');
    const started = events.find((e) => e.rel === 'messagingInvitation' && e.type === 'started');
    expect(started?.embedded).toMatchObject({
      direction: 'Outgoing',
      operationId: 'op-start',
      to: 'sip:reports@contoso.com',
    });
    const completed = events.find((e) => e.rel === 'messagingInvitation' && e.type === 'completed');
    expect(completed?.status).toBe('Success');
    const messaging = events.find((e) => e.rel === 'messaging')?.embedded;
    expect(messaging._links.sendMessage.href).toMatch(/\/messaging\/sendMessage$/);
    expect(events.find((e) => e.rel === 'message')?.status).toBe('Success');
    expect(sim?.actions.find((a) => a.kind === 'startMessaging')?.body).toMatchObject({
      message: 'first line',
    });

    sim?.scenario.setRemoteAnswer('decline');
    await client.post(app._embedded.communication._links.startMessaging.href, { to: 'sip:no@fabrikam.com' });
    const declined = await pollUntil((e) => e.rel === 'conversation' && e.type === 'deleted');
    expect(declined.find((e) => e.type === 'completed')?.raw.reason).toMatchObject({
      code: 'RemoteFailure',
      subcode: 'Declined',
    });
    expect(declined.at(-1)).toMatchObject({ rel: 'conversation', type: 'deleted' });
    expect(
      (await client.post(app._embedded.communication._links.startMessaging.href, { to: 'bad' })).status,
    ).toBe(400);
  });
});
