import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { type Body, Client, startSim } from './helpers.js';

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function setup(options: Parameters<typeof startSim>[0] = {}) {
  sim = await startSim(options);
  const client = new Client(sim);
  const app: Body = await client.createApplication();
  return { client, app, sim };
}

describe('fault injection', () => {
  it('answers a status with a UCWA error body and Retry-After, for `times` requests, without handling them', async () => {
    const { client, app, sim } = await setup();
    const fault = sim.faults.inject({
      method: 'POST',
      path: '/makeMeAvailable',
      status: 503,
      subcode: 'ServiceTimeout',
      retryAfter: '2',
      times: 2,
    });
    for (let i = 0; i < 2; i++) {
      const reply = await client.makeMeAvailable(app);
      expect(reply.status).toBe(503);
      expect(reply.headers.get('retry-after')).toBe('2');
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expect(reply.body).toMatchObject({ code: 'ServiceUnavailable', subcode: 'ServiceTimeout' });
    }
    expect(fault.hits).toBe(2);
    expect(sim.actions.some((a) => a.kind === 'makeMeAvailable')).toBe(false);
    expect((await client.makeMeAvailable(app)).status).toBe(204);
    expect(sim.requests.filter((r) => r.path.endsWith('/makeMeAvailable')).map((r) => r.status)).toEqual([
      503, 503, 204,
    ]);
  });

  it('matches a RegExp, honours an HTTP-date Retry-After, custom codes, HTML proxy errors and Infinity', async () => {
    const { client, app, sim } = await setup();
    const date = new Date(Date.now() + 60_000).toUTCString();
    const handle = sim.faults.inject({
      path: /\/policies$/,
      status: 429,
      retryAfter: date,
      times: Number.POSITIVE_INFINITY,
    });
    for (let i = 0; i < 3; i++) {
      const reply = await client.get(app._links.policies.href);
      expect(reply.status).toBe(429);
      expect(reply.headers.get('retry-after')).toBe(date);
      expect(reply.body.code).toBe('TooManyRequests');
    }
    handle.remove();
    expect((await client.get(app._links.policies.href)).status).toBe(200);

    sim.faults.inject({ path: '/policies', status: 502, html: true });
    const proxy = await client.get(app._links.policies.href);
    expect(proxy.status).toBe(502);
    expect(proxy.headers.get('content-type')).toMatch(/^text\/html/);

    sim.faults.inject({ path: '/policies', status: 409, code: 'Conflict', subcode: 'TooManyGroups' });
    expect((await client.get(app._links.policies.href)).body).toMatchObject({
      code: 'Conflict',
      subcode: 'TooManyGroups',
    });

    sim.faults.inject({ path: '/policies', status: 401 });
    const unauthorized = await client.get(app._links.policies.href);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('www-authenticate')).toContain('MsRtcOAuth');

    sim.faults.inject({ path: '/policies', status: 500, times: 5 });
    sim.faults.clear();
    expect((await client.get(app._links.policies.href)).status).toBe(200);
  });

  it('drops the connection without an answer', async () => {
    const { client, app, sim } = await setup();
    sim.faults.inject({ path: '/policies', drop: true });
    await expect(client.get(app._links.policies.href)).rejects.toThrow();
    expect(sim.requests.find((r) => r.path.endsWith('/policies'))?.status).toBe(-1);
    expect((await client.get(app._links.policies.href)).status).toBe(200);
  });

  it('drops after the request took effect (phase "after")', async () => {
    const { client, app, sim } = await setup();
    sim.faults.inject({ path: '/makeMeAvailable', drop: true, phase: 'after' });
    await expect(client.makeMeAvailable(app)).rejects.toThrow();
    expect(sim.actions.filter((a) => a.kind === 'makeMeAvailable')).toHaveLength(1);
    expect((await client.makeMeAvailable(app)).status).toBe(409);
  });

  it('answers 200 with truncated JSON; on the event channel the batch survives a re-request', async () => {
    const { client, app, sim } = await setup();
    await client.makeMeAvailable(app);
    sim.faults.inject({ path: '/events', malformedJson: true });
    const broken = await client.get(`${app._links.events.href}&timeout=0.2`);
    expect(broken.status).toBe(200);
    expect(broken.headers.get('content-type')).toMatch(/^application\/json/);
    expect(broken.body).toBeUndefined(); // not parseable
    expect(() => JSON.parse(broken.text)).toThrow();
    const retry = await client.get(app._links.events.href);
    expect(retry.body.sender.length).toBeGreaterThan(0);
  });

  it('adds latency per fault, globally and with setLatency', async () => {
    // On a manual clock: each request is held exactly as long as its latency says, by the simulator's clock.
    const clock = new ManualClock();
    const { client, app, sim } = await setup({ clock });
    const policies = app._links.policies.href;
    /** One GET of policies: waits for the latency timer, moves the clock past it, and returns the time held. */
    const held = async (latencyMs: number): Promise<number> => {
      const scheduled = latencyMs > 0 ? clock.nextTimer() : Promise.resolve(0);
      const reply = client.get(policies);
      expect(await scheduled).toBe(latencyMs);
      clock.advance(latencyMs);
      expect((await reply).status).toBe(200);
      const record = sim.requests.filter((r) => r.path.endsWith('/policies')).at(-1);
      return (record?.completedAt ?? Number.NaN) - (record?.at ?? Number.NaN);
    };
    sim.setLatency(60);
    expect(await held(60)).toBe(60);
    sim.setLatency(0);
    const fault = sim.faults.inject({ path: '/policies', latencyMs: 400 });
    expect(await held(400)).toBe(400);
    expect(fault.hits).toBe(1);
    // The fault is spent and the global latency is 0: answered without the clock moving.
    expect(await held(0)).toBe(0);
  });

  it('applies to batch parts unless outerOnly, and a dropped part drops the whole batch', async () => {
    const { client, app, sim } = await setup();
    const batch = (paths: string[]) =>
      client.request('POST', app._links.batch.href, {
        body: `${paths.map((p) => `--q\r\nContent-Type: application/http; msgtype=request\r\n\r\nGET ${p} HTTP/1.1\r\n\r\n`).join('\r\n')}\r\n--q--\r\n`,
        type: 'multipart/batching;boundary=q',
      });
    sim.faults.inject({ path: '/policies', status: 500 });
    const withPartFault = await batch([app._links.self.href, app._links.policies.href]);
    expect(withPartFault.status).toBe(200);
    expect(withPartFault.text).toMatch(/HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 500 Internal Server Error/);

    sim.faults.inject({ path: '/policies', status: 500, outerOnly: true });
    const outerOnly = await batch([app._links.policies.href]);
    expect(outerOnly.text).toContain('HTTP/1.1 200 OK');
    sim.faults.clear();

    sim.faults.inject({ path: '/policies', drop: true });
    await expect(
      batch([app._links.self.href, app._links.policies.href, app._links.self.href]),
    ).rejects.toThrow();
    const parts = sim.requests.filter((r) => r.batchPart).slice(-2);
    expect(parts.map((r) => r.status)).toEqual([200, -1]); // the third part never ran
  });
});
