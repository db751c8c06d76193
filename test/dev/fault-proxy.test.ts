import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  type FaultProxy,
  type ProxyTimers,
  proxiedConnectionString,
  startFaultProxy,
} from '../../dev/fault-proxy/index.js';

const proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

async function tableProxy(options: { now?: () => number; timers?: ProxyTimers } = {}) {
  const proxy = await startFaultProxy({ target: inject('azuriteTableEndpoint'), ...options });
  proxies.push(proxy);
  const name = `fp${randomUUID().replaceAll('-', '')}`.slice(0, 40);
  const connectionString = proxiedConnectionString(inject('azuriteConnectionString'), { table: proxy.url });
  // No SDK retries: each fault is seen by the caller as is, fast and deterministic.
  const viaProxy = TableClient.fromConnectionString(connectionString, name, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 0 },
  });
  const direct = TableClient.fromConnectionString(inject('azuriteConnectionString'), name, {
    allowInsecureConnection: true,
  });
  await direct.createTable();
  const exists = async (rowKey: string) =>
    direct.getEntity('p', rowKey).then(
      () => true,
      (error: { statusCode?: number }) => {
        if (error.statusCode === 404) return false;
        throw error;
      },
    );
  return { proxy, viaProxy, direct, exists };
}

describe('fault proxy in front of Azurite', () => {
  it('passes requests through unchanged: SharedKey signatures, entity group transactions, queries', async () => {
    const { proxy, viaProxy, exists } = await tableProxy();
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    await viaProxy.createEntity({ partitionKey: 'p', rowKey: 'a', value: 'é'.repeat(3000) });
    await viaProxy.updateEntity({ partitionKey: 'p', rowKey: 'a', other: 1 }, 'Merge');
    await viaProxy.submitTransaction([
      ['create', { partitionKey: 'p', rowKey: 'b', n: 1 }],
      ['upsert', { partitionKey: 'p', rowKey: 'c', n: 2 }, 'Replace'],
    ]);
    const read = await viaProxy.getEntity<{ value: string; other: number }>('p', 'a');
    expect(read.value).toBe('é'.repeat(3000));
    expect(read.other).toBe(1);
    const rows: string[] = [];
    for await (const row of viaProxy.listEntities({ queryOptions: { filter: "PartitionKey eq 'p'" } }))
      rows.push(row.rowKey ?? '');
    expect(rows.sort()).toEqual(['a', 'b', 'c']);
    expect(await exists('c')).toBe(true);
    expect(proxy.log.map((entry) => entry.method)).toEqual(['POST', 'PATCH', 'POST', 'GET', 'GET']);
    expect(proxy.log.find((entry) => entry.path.endsWith('/$batch'))?.status).toBe(202);
    expect(proxy.log.every((entry) => entry.fault === undefined)).toBe(true);
  });

  it('streams blobs both ways, with the account path and signed headers intact', async () => {
    const proxy = await startFaultProxy({ target: inject('azuriteBlobEndpoint') });
    proxies.push(proxy);
    const blobs = BlobServiceClient.fromConnectionString(
      proxiedConnectionString(inject('azuriteConnectionString'), { blob: proxy.url }),
    );
    const container = blobs.getContainerClient(`fp${randomUUID()}`);
    await container.create();
    const data = Buffer.alloc(3 * 1024 * 1024, 7);
    await container.getBlockBlobClient('big').uploadData(data);
    // Buffer#equals: a deep toEqual over 3 MiB takes seconds.
    expect((await container.getBlockBlobClient('big').downloadToBuffer()).equals(data)).toBe(true);
    await container.delete();
  });

  it("a 'before' fault answers in the storage service's format and the write does not happen", async () => {
    const { proxy, viaProxy, exists } = await tableProxy();
    const fault = proxy.inject({ method: 'PUT', path: "RowKey='x'", status: 503 });
    const failure = await viaProxy
      .upsertEntity({ partitionKey: 'p', rowKey: 'x' }, 'Replace')
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ statusCode: 503, details: { errorCode: 'ServerBusy' } });
    expect(fault.hits).toBe(1);
    expect(await exists('x')).toBe(false);
    // Used up: the next one goes through.
    await viaProxy.upsertEntity({ partitionKey: 'p', rowKey: 'x' }, 'Replace');
    expect(await exists('x')).toBe(true);
    expect(proxy.log.map((entry) => [entry.status, entry.fault])).toEqual([
      [503, '503 before'],
      [204, undefined],
    ]);
  });

  it("an 'after' fault lets the write take effect, then the client sees an error", async () => {
    const { proxy, viaProxy, exists } = await tableProxy();
    proxy.inject({ method: 'POST', status: 500, phase: 'after' });
    await expect(viaProxy.createEntity({ partitionKey: 'p', rowKey: 'y' })).rejects.toMatchObject({
      statusCode: 500,
    });
    expect(await exists('y')).toBe(true);
    // Merge is PATCH on the wire; MERGE names the same operation.
    proxy.inject({ method: 'MERGE', path: /RowKey='y'/, status: 412, phase: 'after' });
    await expect(
      viaProxy.updateEntity({ partitionKey: 'p', rowKey: 'y', v: 2 }, 'Merge'),
    ).rejects.toMatchObject({ statusCode: 412 });
    expect((await viaProxy.getEntity<{ v: number }>('p', 'y')).v).toBe(2);
  });

  it('resets the connection, before or after the write took effect', async () => {
    const { proxy, viaProxy, exists } = await tableProxy();
    const before = proxy.inject({ method: 'PUT', reset: true });
    await expect(viaProxy.upsertEntity({ partitionKey: 'p', rowKey: 'r1' }, 'Replace')).rejects.toMatchObject(
      {
        code: expect.stringMatching(/ECONNRESET|EPIPE|socket hang up/),
      },
    );
    expect(before.hits).toBe(1);
    expect(await exists('r1')).toBe(false);
    proxy.inject({ method: 'PUT', reset: true, phase: 'after' });
    await expect(viaProxy.upsertEntity({ partitionKey: 'p', rowKey: 'r2' }, 'Replace')).rejects.toBeDefined();
    expect(await exists('r2')).toBe(true);
    expect(proxy.log.map((entry) => entry.status)).toEqual([-1, -1]);
  });

  it('applies a fault `times` times, and only to matching requests', async () => {
    const { proxy, viaProxy } = await tableProxy();
    const fault = proxy.inject({ method: 'PUT', path: 'nomatch', status: 503, times: Infinity });
    const reads = proxy.inject({ methods: ['GET', 'HEAD'], status: 500, times: Infinity });
    const twice = proxy.inject({ method: 'PUT', status: 503, times: 2, retryAfterMs: 0 });
    // With a retry-after the SDK retries at once instead of backing off: two 503s, then success.
    const retrying = TableClient.fromConnectionString(
      proxiedConnectionString(inject('azuriteConnectionString'), { table: proxy.url }),
      viaProxy.tableName,
      { allowInsecureConnection: true },
    );
    await retrying.upsertEntity({ partitionKey: 'p', rowKey: 't' }, 'Replace');
    expect(twice.hits).toBe(2);
    expect(fault.hits).toBe(0);
    expect(reads.hits).toBe(0);
    expect(proxy.log.map((entry) => entry.status)).toEqual([503, 503, 204]);
  });

  it('an outage fails writes until its window ends on the injected clock; reads pass', async () => {
    let clock = 1_000_000;
    const { proxy, viaProxy, exists } = await tableProxy({ now: () => clock });
    proxy.outage(30_000);
    await expect(viaProxy.upsertEntity({ partitionKey: 'p', rowKey: 'o' })).rejects.toMatchObject({
      statusCode: 503,
    });
    expect(
      await viaProxy.getEntity('p', 'o').catch((error: { statusCode: number }) => error.statusCode),
    ).toBe(404);
    clock += 29_999;
    await expect(viaProxy.createEntity({ partitionKey: 'p', rowKey: 'o' })).rejects.toMatchObject({
      statusCode: 503,
    });
    clock += 1;
    await viaProxy.createEntity({ partitionKey: 'p', rowKey: 'o' });
    expect(await exists('o')).toBe(true);
    expect(proxy.log.map((entry) => [entry.at - 1_000_000, entry.status, entry.fault])).toEqual([
      [0, 503, 'outage 503'],
      [0, 404, undefined],
      [29_999, 503, 'outage 503'],
      [30_000, 204, undefined],
    ]);
  });

  it('an outage can be narrowed to methods and paths, with its own status', async () => {
    const clock = 0;
    const { proxy, viaProxy } = await tableProxy({ now: () => clock });
    proxy.outage(10, { methods: ['GET'], path: "RowKey='g'", status: 500 });
    await viaProxy.upsertEntity({ partitionKey: 'p', rowKey: 'g' });
    await expect(viaProxy.getEntity('p', 'g')).rejects.toMatchObject({ statusCode: 500 });
    proxy.clear();
    await viaProxy.getEntity('p', 'g');
  });

  it('delays on its injected timers: a request waits until the timer fires', async () => {
    const pending: { callback: () => void; ms: number }[] = [];
    let delayed!: () => void;
    const held = new Promise<void>((resolve) => {
      delayed = resolve;
    });
    const timers: ProxyTimers = {
      setTimeout: (callback, ms) => {
        const entry = { callback, ms };
        pending.push(entry);
        delayed();
        return entry;
      },
      clearTimeout: (handle) => {
        pending.splice(pending.indexOf(handle as (typeof pending)[number]), 1);
      },
    };
    const { proxy, viaProxy, exists } = await tableProxy({ timers });
    proxy.inject({ method: 'PUT', latencyMs: 5_000 });
    const write = viaProxy.upsertEntity({ partitionKey: 'p', rowKey: 'l' }, 'Replace');
    await held;
    expect(pending.map((entry) => entry.ms)).toEqual([5_000]);
    expect(await exists('l')).toBe(false);
    pending.shift()?.callback();
    await write;
    expect(await exists('l')).toBe(true);
  });

  it('close leaves no listener, socket or timer, even with a request parked in a delay', async () => {
    // Real timers, told when the delay starts.
    let delayed!: () => void;
    const held = new Promise<void>((resolve) => {
      delayed = resolve;
    });
    const timers: ProxyTimers = {
      setTimeout: (callback, ms) => {
        delayed();
        return setTimeout(callback, ms);
      },
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
    const { proxy, viaProxy } = await tableProxy({ timers });
    proxy.inject({ method: 'PUT', latencyMs: 60_000 });
    const parked = viaProxy
      .upsertEntity({ partitionKey: 'p', rowKey: 'z' }, 'Replace')
      .catch((error: unknown) => error);
    await held;
    expect(proxy.openHandles().timers).toBe(1);
    await viaProxy.getEntity('p', 'z').catch(() => undefined); // leaves a kept-alive upstream socket
    await proxy.close();
    expect(proxy.openHandles()).toEqual({ listening: 0, connections: 0, upstream: 0, timers: 0 });
    expect(await parked).toBeInstanceOf(Error);
    const refused = await new Promise<string>((resolve) => {
      request(proxy.url, (response) => resolve(String(response.statusCode)))
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
        .end();
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('rewrites only the endpoints it is given', () => {
    const original = inject('azuriteConnectionString');
    const rewritten = proxiedConnectionString(original, { table: 'http://127.0.0.1:1/devstoreaccount1/' });
    expect(rewritten).toMatch(/(^|;)TableEndpoint=http:\/\/127\.0\.0\.1:1\/devstoreaccount1(;|$)/);
    expect(rewritten).toContain(original.match(/BlobEndpoint=[^;]+/)?.[0]);
    expect(rewritten).toContain('AccountKey=');
    expect(TableServiceClient.fromConnectionString(rewritten, { allowInsecureConnection: true }).url).toBe(
      'http://127.0.0.1:1/devstoreaccount1',
    );
  });
});
