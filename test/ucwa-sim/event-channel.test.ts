import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type RecordedRequest, type UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { type Body, Client, flatten, type Reply, startSim } from './helpers.js';

/**
 * The simulator runs on a manual clock here: a P-GET times out, a silence turns into a resume and an idle
 * application is reclaimed exactly when the test moves the clock, whatever the machine's load.
 */
let sim: UcwaSimulator | undefined;
let clock: ManualClock;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** An application with its events href (ack=1). */
async function setup(
  options: Parameters<typeof startSim>[0] = {},
): Promise<{ client: Client; app: Body; events: string }> {
  clock = new ManualClock();
  sim = await startSim({ clock, ...options });
  const client = new Client(sim);
  const app = await client.createApplication();
  return { client, app, events: app._links.events.href };
}

/** Sends a P-GET and returns once the simulator parked it (it waits for events or its timeout). */
async function park(send: () => Promise<Reply | string>): Promise<{ reply: Promise<Reply | string> }> {
  const current = sim;
  if (!current) throw new Error('no simulator');
  const parked = new Promise<void>((resolve) => {
    const listener = (): void => {
      current.off('parked', listener);
      resolve();
    };
    current.on('parked', listener);
  });
  const reply = send();
  await parked;
  return { reply };
}

/** A P-GET through the test client, parked. */
async function parkGet(client: Client, href: string): Promise<{ reply: Promise<Reply> }> {
  const { reply } = await park(() => client.get(href));
  return { reply: reply as Promise<Reply> };
}

function withParams(href: string, params: Record<string, string>): string {
  const url = new URL(href, 'http://x');
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return `${url.pathname}${url.search}`;
}

function ackOf(href: string): number {
  return Number(new URL(href, 'http://x').searchParams.get('ack'));
}

describe('event channel', () => {
  it('holds the GET until an event exists, then releases it at once', async () => {
    const { client, app, events } = await setup();
    const { reply: pending } = await parkGet(client, withParams(events, { timeout: '5' }));
    expect(sim?.requests.find((r) => r.path.includes('/events'))?.status).toBe(0);
    // A millisecond short of its timeout it still waits: the events that come now are its answer.
    clock.advance(4_999);
    expect((await client.makeMeAvailable(app)).status).toBe(204);
    const reply = await pending;
    expect(reply.status).toBe(200);
    expect(ackOf(reply.body._links.self.href)).toBe(1);
    expect(ackOf(reply.body._links.next.href)).toBe(2);
    expect(flatten([reply.body]).map((e) => e.rel)).toContain('communication');
  });

  it('answers an empty batch (only _links self and next) when the timeout expires', async () => {
    const { client, events } = await setup();
    const first = await parkGet(client, withParams(events, { timeout: '0.1' }));
    clock.advance(100);
    const reply = await first.reply;
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body)).toEqual(['_links']);
    expect(Object.keys(reply.body._links).sort()).toEqual(['next', 'self']);
    expect(ackOf(reply.body._links.next.href)).toBe(2);
    // The timeout is remembered by the channel: the next poll uses it without the parameter (not 180 s).
    const again = await parkGet(client, reply.body._links.next.href);
    clock.advance(100);
    const second = await again.reply;
    expect(Object.keys(second.body)).toEqual(['_links']);
    expect(ackOf(second.body._links.next.href)).toBe(3);
  });

  it('re-delivers exactly the same batch for the same ack, and ack+1 acknowledges it', async () => {
    const { client, app, events } = await setup();
    await client.makeMeAvailable(app);
    const first = await client.get(withParams(events, { timeout: '0.2' }));
    expect(flatten([first.body]).length).toBeGreaterThan(0);

    // A repeated poll (say the client lost the answer) gets the identical batch, immediately.
    sim?.scenario.incomingIm({ name: 'Lene', uri: 'sip:lenea@contoso.com' }, 'hello');
    const repeated = await client.get(withParams(events, { timeout: '5' }));
    expect(repeated.body.sender).toEqual(first.body.sender);
    expect(repeated.body._links.next).toEqual(first.body._links.next);

    // Following next acknowledges batch 1 and delivers what came after it, and only that.
    const second = await client.get(first.body._links.next.href);
    const rels = flatten([second.body]).map((e) => e.rel);
    expect(rels).toContain('messagingInvitation');
    expect(rels).not.toContain('communication');
    expect(ackOf(second.body._links.self.href)).toBe(2);

    // Batch 1 is gone now: asking for it again is out of range.
    const old = await client.get(events);
    expect(old.body._links).toEqual({ resync: { href: second.body._links.self.href.replace(/&.*$/, '') } });
  });

  it('answers a wrong ack with only a resync link to the first unacknowledged batch', async () => {
    const { client, app, events } = await setup();
    await client.makeMeAvailable(app);
    const first = await client.get(withParams(events, { timeout: '0.2' }));
    for (const bad of ['7', '0', 'abc', '']) {
      const reply = await client.get(withParams(events, { ack: bad }));
      expect(reply.status).toBe(200);
      expect(Object.keys(reply.body)).toEqual(['_links']);
      expect(Object.keys(reply.body._links)).toEqual(['resync']);
      expect(ackOf(reply.body._links.resync.href)).toBe(1);
    }
    // Following resync returns the first unacknowledged batch: batch 1, unchanged.
    const resynced = await client.get(withParams(events, { ack: '1' }));
    expect(resynced.body.sender).toEqual(first.body.sender);
    // Skipping ahead before batch 1 was ever sent is out of range too.
    const fresh = await setupAnother(client);
    const ahead = await client.get(withParams(fresh, { ack: '2' }));
    expect(Object.keys(ahead.body._links)).toEqual(['resync']);
    expect(ackOf(ahead.body._links.resync.href)).toBe(1);
  });

  it('completes a parked GET with 409 PGetReplaced when a second one arrives', async () => {
    const { client, app, events } = await setup();
    const { reply: firstPoll } = await parkGet(client, withParams(events, { timeout: '5' }));
    const secondPoll = client.get(withParams(events, { timeout: '5' }));
    const first = await firstPoll;
    expect(first.status).toBe(409);
    expect(first.body).toMatchObject({ code: 'Conflict', subcode: 'PGetReplaced' });
    await client.makeMeAvailable(app);
    const second = await secondPoll;
    expect(second.status).toBe(200);
    expect(flatten([second.body]).length).toBeGreaterThan(0);
  });

  it('lets a parked GET with a higher priority win over a newer one', async () => {
    const { client, app, events } = await setup();
    const { reply: high } = await parkGet(client, withParams(events, { timeout: '5', priority: '5' }));
    const low = await client.get(withParams(events, { timeout: '5', priority: '1' }));
    expect(low.status).toBe(409);
    await client.makeMeAvailable(app);
    expect((await high).status).toBe(200);
  });

  it('lists the events not yet sent in any response (scenario.pendingEvents)', async () => {
    const { client, app, events } = await setup();
    expect(sim?.scenario.pendingEvents()).toEqual([]);
    await client.makeMeAvailable(app);
    const pending = sim?.scenario.pendingEvents() ?? [];
    expect(pending.map((e) => `${e.senderRel}:${e.rel}:${e.type}`)).toEqual([
      'communication:communication:updated',
      'me:me:updated',
      'me:presence:added',
      'me:note:added',
      'me:location:added',
    ]);
    await client.get(withParams(events, { timeout: '0.1' }));
    expect(sim?.scenario.pendingEvents()).toEqual([]);
  });

  it('loses nothing when the client abandons a parked GET', async () => {
    const { client, app, events } = await setup();
    const controller = new AbortController();
    const { reply: abandoned } = await park(() =>
      fetch(client.url(withParams(events, { timeout: '5' })), {
        headers: { Authorization: `Bearer ${client.token}` },
        signal: controller.signal,
      }).then(
        () => 'answered',
        () => 'aborted',
      ),
    );
    // The server has seen the client leave once it records the GET as 499.
    const left = new Promise<void>((resolve) => {
      const listener = (request: RecordedRequest): void => {
        if (request.status !== 499) return;
        sim?.off('response', listener);
        resolve();
      };
      sim?.on('response', listener);
    });
    controller.abort();
    expect(await abandoned).toBe('aborted');
    await left;
    await client.makeMeAvailable(app);
    const reply = await client.get(withParams(events, { timeout: '1' }));
    expect(ackOf(reply.body._links.self.href)).toBe(1);
    expect(flatten([reply.body]).map((e) => e.rel)).toContain('communication');
  });

  it('groups events by sender in order, repeating a sender when the order requires it', async () => {
    const { client, app, events } = await setup();
    await client.makeMeAvailable(app);
    const first = await client.get(withParams(events, { timeout: '0.2' }));
    sim?.scenario.incomingIm({ name: 'Lene', uri: 'sip:lenea@contoso.com' }, 'hi');
    const reply = await client.get(first.body._links.next.href);
    const senders = reply.body.sender.map((s: Body) => s.rel);
    expect(senders).toEqual(['communication', 'conversation']);
    for (const sender of reply.body.sender) expect(sender.href).toMatch(/^http:\/\//); // mixed style: absolute
    expect(reply.body._links.self.href).toMatch(/^\/ucwa\//); // ...and relative own links
    const invitationHref = flatten([reply.body])[0]?.href ?? '';
    const accept = await client.post(flatten([reply.body])[0]?.embedded._links.accept.href);
    expect(accept.status).toBe(204);
    const after = await client.get(reply.body._links.next.href);
    const order = after.body.sender.map((s: Body) => s.rel);
    // messaging (conversation), conversation updated (communication), participantMessaging (conversation),
    // invitation completed (communication), message (conversation): senders alternate.
    expect(order).toEqual(['conversation', 'communication', 'conversation', 'communication', 'conversation']);
    expect(invitationHref).toContain('/communication/');
  });

  it('answers resume instead of next after a silence, with transient state reset', async () => {
    const { client, app, events } = await setup({ eventChannel: { resumeAfterMs: 400 } });
    await client.makeMeAvailable(app);
    const first = await client.get(withParams(events, { timeout: '0.05' }));
    expect(first.body._links.next).toBeDefined(); // not itself a resume
    const invitation = sim?.scenario.incomingIm({ name: 'Lene', uri: 'sip:lenea@contoso.com' }, 'hi');
    clock.advance(401);
    const resumed = await client.get(first.body._links.next.href);
    expect(resumed.status).toBe(200);
    expect(resumed.body._links.resume).toBeDefined();
    expect(resumed.body._links.next).toBeUndefined();
    expect(resumed.body.sender).toBeUndefined();
    // Transient state is gone: the conversation, and availability (makeMeAvailable works again).
    expect((await client.get(invitation?.conversationHref ?? '')).status).toBe(404);
    expect((await client.makeMeAvailable(app)).status).toBe(204);
    // The same ack re-delivers the resume answer; following resume continues normally.
    const repeated = await client.get(first.body._links.next.href);
    expect(repeated.body._links.resume).toEqual(resumed.body._links.resume);
    const next = await client.get(withParams(resumed.body._links.resume.href, { timeout: '0.2' }));
    expect(next.body._links.next).toBeDefined();
    expect(flatten([next.body]).map((e) => e.rel)).toContain('communication');
  });

  it('reclaims the application after the idle timeout without a P-GET, but not while one is parked', async () => {
    const { client, events, app } = await setup({ applicationIdleTimeoutMs: 300 });
    // Parked longer than the idle timeout: still alive afterwards.
    const parked = await parkGet(client, withParams(events, { timeout: '0.5' }));
    clock.advance(500);
    const long = await parked.reply;
    expect(long.status).toBe(200);
    expect((await client.get(app._links.self.href)).status).toBe(200);
    // The idle time counts from the release: alive a millisecond before it ends, reclaimed when it does.
    clock.advance(299);
    expect((await client.get(app._links.self.href)).status).toBe(200);
    clock.advance(1);
    const gone = await client.get(app._links.self.href);
    expect(gone.status).toBe(404);
    expect(gone.body.subcode).toBe('ApplicationNotFound');
    expect((await client.get(long.body._links.next.href)).status).toBe(404);
  });

  it('answers a parked GET with 404 when the application goes away', async () => {
    const { client, app, events } = await setup();
    const { reply: poll } = await parkGet(client, withParams(events, { timeout: '5' }));
    expect((await client.request('DELETE', app._links.self.href)).status).toBe(204);
    const reply = await poll;
    expect(reply.status).toBe(404);
    expect(reply.body.subcode).toBe('ApplicationNotFound');
  });

  it('clamps the timeout to the configured minimum', async () => {
    const { client, app, events } = await setup({ eventChannel: { minTimeoutSec: 0.3 } });
    // Asked for 0.01 s, it still waits at 0.299 s: the events that come then are its answer.
    const { reply } = await parkGet(client, withParams(events, { timeout: '0.01' }));
    clock.advance(299);
    await client.makeMeAvailable(app);
    const first = await reply;
    expect(flatten([first.body]).length).toBeGreaterThan(0);
    // And at 0.3 s it answers empty.
    const next = await parkGet(client, first.body._links.next.href);
    clock.advance(300);
    expect(Object.keys((await next.reply).body)).toEqual(['_links']);
    expect((await client.get(withParams(events, { ack: '2', timeout: 'soon' }))).status).toBe(400);
  });
});

async function setupAnother(client: Client): Promise<string> {
  const app = await client.createApplication({ endpointId: `another-${Math.random()}` });
  return app._links.events.href;
}
