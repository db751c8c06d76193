import { randomUUID } from 'node:crypto';
import { RestError, TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { fresh } from '../../shared/gatekeeper/claim-lifecycle.js';
import { effectKeys } from '../../shared/gatekeeper/effect-keys.js';
import type { OpenedClaim } from '../../shared/gatekeeper/ports.js';
import { rowKeyOf } from '../../shared/lib/row-key.js';
import { TableClaimStore } from '../../shared/store/claim-store.js';
import { azuriteTarget, uniqueTable } from '../helpers/storage.js';

const uniqueName = () => `claims${randomUUID().replaceAll('-', '')}`;

const APP = 'https://pool/ucwa/oauth/v1/applications/A1/communication';
const guest = (meeting: string, n: number) => `${APP}/conversations/${meeting}/participants/guest${n}`;
const opening = (key: string, owner = 'run-1') => ({ key, fresh: fresh({ owner, now: Date.now() }) });

/** What openMany opened, each claim's failure thrown. */
async function opened(settled: Promise<PromiseSettledResult<OpenedClaim>[]>): Promise<OpenedClaim[]> {
  return (await settled).map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}

/** The store over a fresh table, counting the HTTP requests it makes (a transaction is one). */
function counted(table: TableClient = uniqueTable('claims')) {
  const requests: string[] = [];
  table.pipeline.addPolicy({
    name: 'count',
    sendRequest: (request, next) => {
      requests.push(`${request.method} ${new URL(request.url).pathname}`);
      return next(request);
    },
  });
  return { store: new TableClaimStore(table), table, requests };
}

async function partitionsOf(table: TableClient): Promise<Map<string, string>> {
  const rows = new Map<string, string>();
  for await (const row of table.listEntities<{ key: string }>()) rows.set(row.key, row.partitionKey ?? '');
  return rows;
}

describe('TableClaimStore.openMany (Azurite)', () => {
  it("opens one meeting's claims in one transaction, one partition per meeting", async () => {
    const { store, table, requests } = counted();
    await store.warm();
    requests.length = 0;
    const keys = [1, 2, 3].map((n) => effectKeys.removal(guest('M1', n)));
    const other = effectKeys.removal(guest('M2', 1));
    const claims = await opened(store.openMany([...keys, other].map((key) => opening(key))));

    expect(claims.map((o) => [o.record.key, o.created])).toEqual([...keys, other].map((key) => [key, true]));
    // Three claims of M1 in one $batch; M2's single claim as a plain insert.
    expect(requests.filter((r) => r.endsWith('/$batch'))).toHaveLength(1);
    expect(requests).toHaveLength(2);
    const partitions = await partitionsOf(table);
    expect(new Set(keys.map((key) => partitions.get(key))).size).toBe(1);
    expect(partitions.get(other)).not.toBe(partitions.get(keys[0] ?? ''));
    // The records carry their ETags: an ETag-conditional write succeeds on each.
    for (const { record } of claims)
      expect(await store.write(record, { touchedAt: new Date().toISOString() })).toBeDefined();
  });

  it('a claim that exists already: the transaction creates nothing, each is opened on its own', async () => {
    const { store } = counted();
    const keys = [1, 2, 3].map((n) => effectKeys.removal(guest('M1', n)));
    const first = await store.open(keys[1] ?? '', { ...fresh({ owner: 'run-0', now: 0 }), state: 'done' });
    const claims = await opened(store.openMany(keys.map((key) => opening(key))));
    expect(claims.map((o) => o.created)).toEqual([true, false, true]);
    expect(claims[1]?.record).toMatchObject({ state: 'done', owner: 'run-0', etag: first.record.etag });
  });

  it('more than 100 claims of one meeting go in transactions of at most 100', async () => {
    const { store, requests } = counted();
    await store.warm();
    requests.length = 0;
    const keys = Array.from({ length: 101 }, (_, n) => effectKeys.removal(guest('M1', n)));
    const claims = await opened(store.openMany(keys.map((key) => opening(key))));
    expect(claims.every((o) => o.created)).toBe(true);
    expect(requests.filter((r) => r.endsWith('/$batch'))).toHaveLength(1);
    expect(requests).toHaveLength(2);
  });
});

describe('TableClaimStore.begunInMeeting (Azurite)', () => {
  it("lists one meeting's claims begun since a time, in one query of its partition", async () => {
    const { store, requests } = counted();
    const at = (iso: string) => fresh({ owner: 'run-1', now: Date.parse(iso) });
    await store.open(effectKeys.removal(guest('M1', 1)), at('2026-06-01T12:00:00Z'));
    await store.open(effectKeys.removal(guest('M1', 2)), at('2026-06-01T12:00:10Z'));
    await store.open(effectKeys.lobbyDecision(guest('M1', 3), 'summarize'), at('2026-06-01T12:00:20Z'));
    await store.open(effectKeys.removal(guest('M2', 1)), at('2026-06-01T12:00:30Z'));
    requests.length = 0;

    const found = await store.begunInMeeting(`${APP}/conversations/M1`, '2026-06-01T12:00:10.000Z');
    expect(found.map((claim) => claim.key).sort()).toEqual(
      [effectKeys.removal(guest('M1', 2)), effectKeys.lobbyDecision(guest('M1', 3), 'summarize')].sort(),
    );
    expect(requests).toHaveLength(1);
    expect(await store.begunInMeeting(`${APP}/conversations/M3`, '2026-06-01T12:00:00.000Z')).toEqual([]);
  });
});

describe("TableClaimStore.openMany when one meeting's transaction fails", () => {
  it("an outage is that meeting's claims' alone, and creates none of them", async () => {
    const table = TableClient.fromConnectionString(azuriteTarget().connectionString ?? '', uniqueName(), {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    });
    table.pipeline.addPolicy({
      name: 'M2 down',
      sendRequest: async (request, next) => {
        if (request.url.endsWith('$batch') && String(request.body).includes('/conversations/M2/'))
          throw new RestError('storage is unavailable', { statusCode: 503 });
        return next(request);
      },
    });
    const store = new TableClaimStore(table);
    const keys = [guest('M1', 1), guest('M1', 2), guest('M2', 1), guest('M2', 2)].map(effectKeys.removal);
    const settled = await store.openMany(keys.map((key) => opening(key)));
    expect(settled.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
    expect(await store.read(keys[2] ?? '')).toBeUndefined();
    expect(await store.read(keys[0] ?? '')).toMatchObject({ state: 'pending' });
  });
});

describe('TableClaimStore: rows of the previous layout (PartitionKey: two hex digits) are still read', () => {
  it('reads, opens and writes a row where it is, and creates new ones in the new layout', async () => {
    const table = uniqueTable('claims');
    const oldKey = effectKeys.removal(guest('M1', 1));
    const rowKey = rowKeyOf(oldKey);
    // Written by the previous release: pending, its request sent, and the run that held it died.
    await table.createTable();
    await table.createEntity({
      partitionKey: rowKey.slice(0, 2),
      rowKey,
      key: oldKey,
      ...fresh({ owner: 'dead', now: 0 }),
      sentAt: new Date(0).toISOString(),
    });
    const store = new TableClaimStore(table);

    expect(await store.read(oldKey)).toMatchObject({ state: 'pending', owner: 'dead' });
    const newKey = effectKeys.removal(guest('M1', 2));
    const [old, created] = await opened(store.openMany([opening(oldKey), opening(newKey)]));
    expect(old).toMatchObject({
      created: false,
      record: { owner: 'dead', sentAt: new Date(0).toISOString() },
    });
    expect(created?.created).toBe(true);
    if (!old) throw new Error('opened nothing');
    const taken = await store.write(old.record, { owner: 'run-1' });
    expect(taken?.owner).toBe('run-1');
    expect(await store.unfinished(new Date(), 10)).toHaveLength(2);

    const partitions = await partitionsOf(table);
    expect(partitions.get(oldKey)).toBe(rowKey.slice(0, 2));
    expect(partitions.get(newKey)).toMatch(/^m[0-9a-f]{32}$/);
    expect(partitions.size).toBe(2);
  });
});
