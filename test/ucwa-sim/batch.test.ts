import { afterEach, describe, expect, it } from 'vitest';
import type { UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { type Body, Client, pathOf, startSim } from './helpers.js';

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

interface PartResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses a multipart/batching answer the way the docs describe it (independent of the simulator's parser). */
function parseAnswer(contentType: string, text: string): PartResponse[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1] ?? '';
  const chunks = text.split(`--${boundary}`).slice(1, -1);
  return chunks.map((chunk) => {
    // Part headers, blank line, then the HTTP response: status line, headers, blank line, body.
    const http = chunk.slice(chunk.indexOf('\r\n\r\n') + 4);
    const headEnd = http.indexOf('\r\n\r\n');
    const head = http.slice(0, headEnd).split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status, headers, body: http.slice(headEnd + 4).replace(/\r\n$/, '') };
  });
}

function batchBody(
  requests: { method: string; path: string; body?: string; type?: string; noLength?: boolean }[],
  boundary: string,
  eol = '\r\n',
): string {
  const parts = requests.map((r) =>
    [
      `--${boundary}`,
      'Content-Type: application/http; msgtype=request',
      '',
      `${r.method} ${r.path} HTTP/1.1`,
      'Host: lyncweb.contoso.com',
      'Accept: application/json',
      ...(r.type ? [`Content-Type: ${r.type}`] : []),
      ...(r.method === 'POST' && !r.noLength ? [`Content-Length: ${Buffer.byteLength(r.body ?? '')}`] : []),
      '',
      r.body ?? '',
    ].join(eol),
  );
  return `${parts.join(eol)}${eol}--${boundary}--${eol}`;
}

async function setup(options: Parameters<typeof startSim>[0] = {}) {
  sim = await startSim(options);
  const client = new Client(sim);
  const app: Body = await client.createApplication();
  const send = (body: string, boundary: string) =>
    client.request('POST', app._links.batch.href, {
      body,
      type: `multipart/batching;boundary=${boundary}`,
      headers: { Accept: 'multipart/batching' },
    });
  return { client, app, send };
}

describe('batch', () => {
  it('answers 20 GETs in one multipart response, in request order, each a full HTTP response', async () => {
    const { app, send } = await setup();
    const paths = [
      app._links.self.href,
      app._links.policies.href,
      app._embedded.communication._links.self.href,
      app._embedded.communication._links.conversations.href,
    ];
    const requests = Array.from({ length: 20 }, (_, i) => ({
      method: 'GET',
      path: paths[i % paths.length] ?? '',
    }));
    const reply = await send(batchBody(requests, 'EA370946'), 'EA370946');
    expect(reply.status).toBe(200);
    const contentType = String(reply.headers.get('content-type'));
    expect(contentType).toMatch(/^multipart\/batching; boundary="[^"]+"$/);
    const parts = parseAnswer(contentType, reply.text);
    expect(parts).toHaveLength(20);
    parts.forEach((part, i) => {
      expect(part.status).toBe(200);
      expect(part.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(part.body)._links.self.href).toBe(paths[i % paths.length]);
    });
    expect(reply.text).toContain('Content-Type: application/http; msgtype=response');
    const partRecords = sim?.requests.filter((r) => r.batchPart) ?? [];
    expect(partRecords).toHaveLength(20);
    expect(partRecords.every((r) => r.status === 200 && r.authorization?.startsWith('Bearer '))).toBe(true);
  });

  it('refuses more than batchLimit parts with 429 + Retry-After and executes nothing', async () => {
    const { app, send } = await setup({ batchLimit: 5 });
    sim?.scenario.meeting({ onlineMeetingUri: 'sip:m@contoso.com;gruu;opaque=app:conf:focus:id:B' });
    const joins = Array.from({ length: 6 }, () => ({
      method: 'POST',
      path: app._embedded.communication._links.joinOnlineMeeting.href,
      body: '{"onlineMeetingUri":"sip:m@contoso.com;gruu;opaque=app:conf:focus:id:B"}',
      type: 'application/json',
    }));
    const reply = await send(batchBody(joins, 'b1'), 'b1');
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBeTruthy();
    expect(reply.body.code).toBe('TooManyRequests');
    expect(sim?.actions.filter((a) => a.kind === 'joinOnlineMeeting')).toEqual([]);
    expect(sim?.requests.some((r) => r.batchPart)).toBe(false);
    // At the limit it runs.
    expect((await send(batchBody(joins.slice(0, 5), 'b2'), 'b2')).status).toBe(200);
  });

  it('accepts LF line ends, Content-Transfer-Encoding, stray lines and a missing closing delimiter', async () => {
    const { app, send } = await setup();
    const body = [
      'preamble to ignore',
      '--x1',
      'Content-Type: application/http; msgtype=request',
      'Content-Transfer-Encoding: binary',
      '',
      '?',
      `GET ${app._links.policies.href} HTTP/1.1`,
      'Accept: application/json',
      '',
      '--x1',
      'Content-Type: application/http; msgtype=request',
      '',
      `POST ${app._embedded.me._links.makeMeAvailable.href} HTTP/1.1`,
      'Content-Type: application/json',
      'Content-Length: 37',
      '',
      '?',
      '{"supportedModalities":["Messaging"]}',
      '--x1',
    ].join('\n');
    const reply = await send(body, 'x1');
    expect(reply.status).toBe(200);
    const parts = parseAnswer(String(reply.headers.get('content-type')), reply.text);
    expect(parts.map((p) => p.status)).toEqual([200, 204]);
    expect(sim?.actions.at(-1)?.kind).toBe('makeMeAvailable');
  });

  it('answers 411 to a POST part without Content-Length (an empty one says 0), unless switched off', async () => {
    const { app, send } = await setup();
    const post = { method: 'POST', path: app._links.reportMyNetwork.href };
    const reply = await send(batchBody([{ ...post, noLength: true }, post], 'l1'), 'l1');
    const parts = parseAnswer(String(reply.headers.get('content-type')), reply.text);
    expect(parts.map((p) => p.status)).toEqual([411, 204]);
    expect(sim?.requests.filter((r) => r.batchPart).map((r) => r.headers?.['content-length'])).toEqual([
      undefined,
      '0',
    ]);
    await sim?.close();
    const lenient = await setup({ batchPartsNeedLength: false });
    const again = await lenient.send(
      batchBody([{ method: 'POST', path: lenient.app._links.reportMyNetwork.href, noLength: true }], 'l2'),
      'l2',
    );
    expect(parseAnswer(String(again.headers.get('content-type')), again.text).map((p) => p.status)).toEqual([
      204,
    ]);
  });

  it('answers 400 for events, a nested batch or photo inside a batch, and runs the other parts', async () => {
    const { app, send, client } = await setup();
    const reply = await send(
      batchBody(
        [
          { method: 'GET', path: app._links.events.href },
          { method: 'POST', path: app._links.batch.href },
          { method: 'GET', path: `${app._links.self.href}/photo` },
          { method: 'GET', path: app._links.policies.href },
          { method: 'GET', path: `${app._links.self.href}/nope` },
        ],
        'n1',
      ),
      'n1',
    );
    const parts = parseAnswer(String(reply.headers.get('content-type')), reply.text);
    expect(parts.map((p) => p.status)).toEqual([400, 400, 400, 200, 404]);
    expect(JSON.parse(parts[0]?.body ?? '{}')).toMatchObject({ code: 'BadRequest' });
    // The events channel was not touched: ack=1 still waits for its first batch.
    const events = await client.get(`${pathOf(app._links.events.href)}&timeout=0.05`);
    expect(events.body._links.next.href).toMatch(/ack=2$/);
  });

  it('applies the outer token to every part and its scopes per part', async () => {
    sim = await startSim({ tokens: { scopedOpaqueTokens: true } });
    const limited = new Client(sim, sim.issueToken({ scopes: ['Conversations.Initiate'] }));
    const app: Body = await limited.createApplication();
    const reply = await limited.request('POST', app._links.batch.href, {
      body: batchBody(
        [
          { method: 'GET', path: app._links.policies.href },
          {
            method: 'POST',
            path: app._embedded.me._links.makeMeAvailable.href,
            body: '{}',
            type: 'application/json',
          },
        ],
        'z',
      ),
      type: 'multipart/batching; boundary="z"',
    });
    expect(parseAnswer(String(reply.headers.get('content-type')), reply.text).map((p) => p.status)).toEqual([
      200, 403,
    ]);
    const anonymous = await new Client(sim, '').request('POST', app._links.batch.href, {
      body: batchBody([{ method: 'GET', path: app._links.policies.href }], 'z'),
      type: 'multipart/batching;boundary=z',
    });
    expect(anonymous.status).toBe(401);
  });
});
