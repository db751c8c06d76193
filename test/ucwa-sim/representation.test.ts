import { afterEach, describe, expect, it } from 'vitest';
import type { UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { type Body, Client, flatten, startSim, withTimeout } from './helpers.js';

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function incomingBatch(hrefStyle: 'relative' | 'absolute') {
  sim = await startSim({ hrefStyle });
  const client = new Client(sim);
  const app = await client.createApplication();
  await client.makeMeAvailable(app);
  const first = await client.get(withTimeout(app._links.events.href));
  sim.scenario.incomingIm({ name: 'Lene', uri: 'sip:lenea@contoso.com' }, 'hi');
  const batch = await client.get(withTimeout(first.body._links.next.href));
  return { client, app, batch: batch.body };
}

describe('href styles', () => {
  it('absolute: every href, own event links and Location headers carry the pool origin', async () => {
    const { client, app, batch } = await incomingBatch('absolute');
    const pool = sim?.origins.pool ?? '';
    expect(app._links.self.href.startsWith(pool)).toBe(true);
    expect(app._embedded.me._links.makeMeAvailable.href.startsWith(pool)).toBe(true);
    expect(batch._links.next.href.startsWith(pool)).toBe(true);
    const [started] = flatten([batch]);
    expect(started?.href.startsWith(pool)).toBe(true);
    expect(started?.embedded._links.accept.href.startsWith(pool)).toBe(true);
    sim?.scenario.meeting({ onlineMeetingUri: 'sip:m@contoso.com;gruu;opaque=app:conf:focus:id:ABS' });
    const join = await client.post(app._embedded.communication._links.joinOnlineMeeting.href, {
      onlineMeetingUri: 'sip:m@contoso.com;gruu;opaque=app:conf:focus:id:ABS',
    });
    expect(String(join.headers.get('location')).startsWith(pool)).toBe(true);
  });

  it('relative: event senders and links are paths too', async () => {
    const { batch } = await incomingBatch('relative');
    expect(batch.sender[0].href).toMatch(/^\/ucwa\//);
    for (const event of flatten([batch])) expect(event.href).toMatch(/^\/ucwa\//);
  });
});

describe('traffic style', () => {
  /** Discovery, makeMeAvailable, and one IM sent in an accepted conversation: the events in between. */
  async function session(traffic?: 'captured' | 'sparse') {
    sim = await startSim(traffic ? { traffic } : {});
    const root: Body = await (await fetch(sim.discoveryUrl)).json();
    const client = new Client(sim);
    const user = (await client.get(new URL(root._links.user.href, sim.discoveryUrl).toString())).body;
    const app = await client.createApplication();
    await client.makeMeAvailable(app);
    const first = await client.get(withTimeout(app._links.events.href));
    const im = sim.scenario.incomingIm({ name: 'Lene', uri: 'sip:lenea@contoso.com' }, 'hi');
    const started = await client.get(withTimeout(first.body._links.next.href));
    const accept = flatten([started.body]).find((e) => e.type === 'started')?.embedded._links.accept.href;
    await client.post(accept);
    const accepted = await client.get(withTimeout(started.body._links.next.href));
    const messaging = flatten([accepted.body]).find((e) => e.rel === 'messaging')?.embedded;
    await client.request('POST', `${messaging._links.sendMessage.href}?operationId=op1`, {
      body: 'Thanks',
      type: 'text/plain',
    });
    const sent = await client.get(withTimeout(accepted.body._links.next.href));
    expect(im.delivered).toBe(true);
    return { root, user, events: flatten([first.body, started.body, accepted.body, sent.body]) };
  }

  it('captured (default): absolute root and user hrefs, communication and the sent message embedded', async () => {
    const { root, user, events } = await session();
    for (const link of [...Object.values(root._links), ...Object.values(user._links)] as { href: string }[])
      expect(link.href).toMatch(/^http:\/\//);
    const communication = events.find((e) => e.rel === 'communication' && e.type === 'updated');
    expect(communication?.embedded).toMatchObject({
      rel: 'communication',
      supportedModalities: ['Messaging', 'PhoneAudio'],
    });
    const outgoing = events.filter((e) => e.rel === 'message' && e.type === 'completed').at(-1);
    expect(outgoing?.embedded).toMatchObject({ rel: 'message', direction: 'Outgoing', operationId: 'op1' });
  });

  it('sparse: relative root and user hrefs, those events carry only their link', async () => {
    const { root, user, events } = await session('sparse');
    expect(root._links.user.href).toMatch(/^\/autodiscover\//);
    expect(user._links.self.href).toMatch(/^\//);
    expect(events.find((e) => e.rel === 'communication' && e.type === 'updated')?.embedded).toBeUndefined();
    const outgoing = events.filter((e) => e.rel === 'message' && e.type === 'completed').at(-1);
    expect(outgoing?.href).toBeDefined();
    expect(outgoing?.embedded).toBeUndefined();
  });
});

describe('headers', () => {
  it('answers in the vnd.microsoft.com.ucwa+json media type when asked, with an Etag on GETs', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const app = await client.createApplication();
    const plain = await client.get(app._links.policies.href);
    expect(plain.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(plain.headers.get('etag')).toBeTruthy();
    const vendor = await client.get(app._links.policies.href, {
      Accept: 'application/vnd.microsoft.com.ucwa+json',
    });
    expect(vendor.headers.get('content-type')).toBe('application/vnd.microsoft.com.ucwa+json; charset=utf-8');
    expect((await client.get(app._links.policies.href, { Accept: 'application/xml' })).status).toBe(406);
  });

  it('answers 404 APIVersionNotSupported above resource version 2', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const app = await client.createApplication();
    expect(
      (await client.get(app._links.policies.href, { 'X-MS-RequiresMinResourceVersion': '2' })).status,
    ).toBe(200);
    const tooNew = await client.get(app._links.policies.href, { 'X-MS-RequiresMinResourceVersion': '3' });
    expect(tooNew.status).toBe(404);
    expect(tooNew.body.subcode).toBe('APIVersionNotSupported');
  });
});
