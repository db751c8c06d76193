import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { Client, flatten, readEvents, startSim, withTimeout } from './helpers.js';

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('applications', () => {
  it('creates (camelCase or PascalCase), reuses by endpointId+instanceId, gets and deletes', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const created = await client.post(client.applications, {
      culture: 'en-us',
      endpointId: 'e1',
      instanceId: 'fn-1',
      userAgent: 'tests/1.0',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toMatch(/^[0-9a-f-]{36}$/);
    const app = created.body;
    expect(app).toMatchObject({
      rel: 'application',
      culture: 'en-us',
      endpointId: 'e1',
      instanceId: 'fn-1',
      userAgent: 'tests/1.0',
    });
    expect(app._links.events.href).toMatch(/\/events\?ack=1$/);
    expect(Object.keys(app._links)).toEqual(expect.arrayContaining(['self', 'batch', 'events', 'policies']));
    expect(Object.keys(app._embedded).sort()).toEqual(['communication', 'me', 'onlineMeetings', 'people']);
    const me = app._embedded.me;
    expect(me._links.makeMeAvailable).toBeDefined();
    expect(me._links.presence).toBeUndefined();
    const communication = app._embedded.communication;
    expect(Object.keys(communication._links)).toEqual(
      expect.arrayContaining(['conversations', 'startMessaging', 'joinOnlineMeeting']),
    );
    const marker = Object.entries(communication).find(([key]) => /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(key));
    expect(marker?.[1]).toBe('please pass this in a PUT request');
    expect(communication.supportedModalities).toEqual([]);

    const again = await client.request('POST', client.applications, {
      body: JSON.stringify({
        Culture: 'en-us',
        EndpointId: 'e1',
        InstanceId: 'fn-1',
        UserAgent: 'tests/1.0',
      }),
      type: 'application/json',
    });
    expect(again.status).toBe(200);
    expect(again.body._links.self.href).toBe(app._links.self.href);

    const other = await client.post(client.applications, {
      Culture: 'en-us',
      EndpointId: 'e2',
      UserAgent: 'tests/1.0',
    });
    expect(other.status).toBe(201);
    expect(other.body._links.self.href).not.toBe(app._links.self.href);

    const got = await client.get(app._links.self.href);
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(app.id);
    expect(got.headers.get('etag')).toBeTruthy();

    expect((await client.request('DELETE', app._links.self.href)).status).toBe(204);
    const gone = await client.get(app._embedded.communication._links.self.href);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: 'NotFound', subcode: 'ApplicationNotFound' });
    expect(sim.actions.map((a) => a.kind)).toEqual([
      'createApplication',
      'createApplication',
      'deleteApplication',
    ]);
  });

  it('validates the creation body', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const missing = await client.post(client.applications, { culture: 'en-us', endpointId: 'e1' });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'BadRequest', subcode: 'ParameterValidationFailure' });
    expect(missing.body.parameters).toHaveProperty('userAgent');
    const broken = await client.request('POST', client.applications, {
      body: '{"culture":',
      type: 'application/json',
    });
    expect(broken.body).toMatchObject({ code: 'BadRequest', subcode: 'DeserializationFailure' });
    const wrongType = await client.request('POST', client.applications, { body: 'x=1', type: 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(
      (await client.request('PUT', client.applications, { body: '{}', type: 'application/json' })).status,
    ).toBe(405);
    const options = await client.request('OPTIONS', client.applications);
    expect(options.body.metadata[0].httpMethod).toBe('POST');
  });

  it('expires the application with 404 ApplicationNotFound or 410 InactiveApplicationExpired; a new POST gets a new id', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const first = await client.createApplication();
    sim.expireApplication();
    const after404 = await client.get(first._links.events.href);
    expect(after404.status).toBe(404);
    expect(after404.headers.get('content-type')).toMatch(/^application\/json/);
    expect(after404.body).toEqual({
      code: 'NotFound',
      subcode: 'ApplicationNotFound',
      message: expect.any(String),
    });

    const second = await client.createApplication();
    expect(second.id).not.toBe(first.id);
    sim.expireApplication('410');
    const after410 = await client.post(second._embedded.me._links.makeMeAvailable.href, {});
    expect(after410.status).toBe(410);
    expect(after410.body).toMatchObject({ code: 'Gone', subcode: 'InactiveApplicationExpired' });
    // Every URL under it, known or not.
    expect((await client.get(`${second._links.self.href}/no/such/thing`)).status).toBe(410);
    const third = await client.createApplication();
    expect(new Set([first.id, second.id, third.id]).size).toBe(3);
  });

  it('answers unknown paths with 404 ResourceNotFound and wrong methods with 405', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const app = await client.createApplication();
    const unknown = await client.get(`${app._links.self.href}/nonsense`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'NotFound', subcode: 'ResourceNotFound' });
    expect((await client.get(`${sim.origins.pool}/elsewhere`)).body.subcode).toBe('ResourceNotFound');
    const wrong = await client.request('DELETE', app._embedded.communication._links.self.href);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toContain('GET');
    expect(wrong.body.code).toBe('MethodNotAllowed');
  });
});

describe('makeMeAvailable', () => {
  it('answers 204, then communication and me events; a second call is 409 AlreadyExists', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const app = await client.createApplication();
    const available = sim.scenario.whenAvailable();
    const first = await client.makeMeAvailable(app, {
      SupportedModalities: ['Messaging'],
      supportedMessageFormats: ['Plain', 'Html'],
    });
    expect(first.status).toBe(204);
    await available;
    const second = await client.makeMeAvailable(app);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'Conflict', subcode: 'AlreadyExists' });

    const { batches } = await readEvents(client, app._links.events.href, (b) => flatten(b).length > 0);
    const events = flatten(batches).map((e) => `${e.sender}:${e.rel}:${e.type}`);
    expect(events).toEqual(expect.arrayContaining(['communication:communication:updated', 'me:me:updated']));

    const me = await new Client(sim, sim.issueToken({ scopes: ['User.ReadWrite'] })).get(
      app._embedded.me._links.self.href,
    );
    expect(Object.keys(me.body._links)).toEqual(
      expect.arrayContaining(['presence', 'note', 'location', 'makeMeAvailable']),
    );
    const communication = await client.get(app._embedded.communication._links.self.href);
    expect(communication.body.supportedModalities).toEqual(['Messaging']);
    expect(communication.body.supportedMessageFormats).toEqual(['Plain', 'Html']);
  });

  it('expires an available application that reports no activity with 410; reports keep it alive', async () => {
    const clock = new ManualClock();
    sim = await startSim({ activityTimeoutMs: 250, clock });
    const current = sim;
    const client = new Client(sim);
    const app = await client.createApplication();
    const me = () => client.get(app._embedded.me._links.self.href);
    const report = () =>
      client.post(
        app._embedded.me._links.makeMeAvailable.href.replace(/me\/makeMeAvailable$/, 'reportMyActivity'),
      );
    // Before makeMeAvailable there is no reportMyActivity link, and reporting is refused.
    expect((await me()).body._links.reportMyActivity).toBeUndefined();
    expect((await report()).body).toMatchObject({ code: 'Conflict', subcode: 'MakeMeAvailableRequired' });
    await client.makeMeAvailable(app);
    const reportHref = (await me()).body._links.reportMyActivity.href;
    // A report every 0.2 s for a second outlives the 0.25 s window: each one starts it again.
    for (let i = 0; i < 5; i++) {
      clock.advance(200);
      expect((await client.post(reportHref)).status).toBe(204);
    }
    expect(sim.actions.filter((a) => a.kind === 'reportMyActivity')).toHaveLength(5);
    expect(sim.actions.some((a) => a.kind === 'applicationExpired')).toBe(false);
    // No report: alive until the window ends, then every URL below it answers 410, and a parked P-GET too.
    const startUp = await client.get(withTimeout(app._links.events.href, 30)); // answered at once
    const isParked = new Promise<void>((resolve) => current.on('parked', () => resolve()));
    const parked = client.get(withTimeout(startUp.body._links.next.href, 30));
    await isParked;
    clock.advance(249);
    expect((await me()).status).toBe(200);
    clock.advance(1);
    expect((await me()).status).toBe(410);
    expect((await me()).body).toMatchObject({ code: 'Gone', subcode: 'InactiveApplicationExpired' });
    expect((await parked).status).toBe(410);
  });

  it('refuses modalities other than Messaging and PhoneAudio', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const app = await client.createApplication();
    const video = await client.makeMeAvailable(app, { supportedModalities: ['Messaging', 'Video'] });
    expect(video.status).toBe(403);
    expect(video.body.code).toBe('Forbidden');
    const nonsense = await client.makeMeAvailable(app, { signInAs: 'Sleepy' });
    expect(nonsense.status).toBe(400);
  });

  it('PUT communication needs If-Match and the GUID-named property', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const app = await client.createApplication();
    const href = app._embedded.communication._links.self.href;
    const current = await client.get(href);
    const put = (headers: Record<string, string>, body: unknown) =>
      client.request('PUT', href, { body: JSON.stringify(body), type: 'application/json', headers });
    expect((await put({}, current.body)).status).toBe(428);
    expect((await put({ 'If-Match': '"stale"' }, current.body)).status).toBe(412);
    const etag = String(current.headers.get('etag'));
    const { _links, ...withoutLinks } = current.body;
    const marker = Object.keys(withoutLinks).find((key) => /^[0-9a-f]{8}-/.test(key)) ?? '';
    const { [marker]: _dropped, ...withoutMarker } = withoutLinks;
    expect((await put({ 'If-Match': etag }, withoutMarker)).status).toBe(400);
    expect((await put({ 'If-Match': etag }, withoutLinks)).status).toBe(200);
  });

  it("several users of one server: each token is good for its own user's applications only", async () => {
    sim = await startSim({ moreAccounts: [{ uri: 'sip:townhall@contoso.com', name: 'Town Hall' }] });
    const first = new Client(sim);
    const other = new Client(sim, sim.user('townhall@contoso.com').issueToken());
    const identity = { culture: 'en-us', endpointId: 'e1', userAgent: 'tests/1.0' };
    const mine = await first.post(first.applications, identity);
    const theirs = await other.post(other.applications, identity);
    // The same endpoint id under another user is another application.
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body._links.self.href).not.toBe(mine.body._links.self.href);
    expect((await other.get(mine.body._links.self.href)).status).toBe(404);
    expect((await first.get(mine.body._links.self.href)).status).toBe(200);
    const id = /applications\/(\d+)/.exec(theirs.body._links.self.href)?.[1] ?? '';
    expect(sim.applicationUser(id)).toBe('townhall@contoso.com');
    expect(sim.tokenUser(`Bearer ${other.token}`)).toBe('townhall@contoso.com');
    expect(sim.tokenUser(`Bearer ${first.token}`)).toBe('gatekeeper@contoso.com');
    expect(sim.user('townhall@contoso.com').currentApplicationId()).toBe(id);
  });
});
