import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../shared/store/audit-log.js';
import { ChannelLease } from '../../shared/store/channel-lease.js';
import { ConcurrencyError, CursorStore } from '../../shared/store/cursor-store.js';
import { IdempotencyStore } from '../../shared/store/idempotency-store.js';
import { azuriteBlobs, uniqueTable } from '../helpers/storage.js';

describe('CursorStore (Azurite)', () => {
  it('reads nothing at first, then what was written, with ETag concurrency', async () => {
    const store = new CursorStore(uniqueTable('cursor'));
    const first = await store.read();
    expect(first).toEqual({ state: {}, etag: undefined });
    const etag = await store.write({ cursor: 'https://pool/ucwa/events?ack=2' }, undefined);
    const second = await store.read();
    expect(second.state.cursor).toBe('https://pool/ucwa/events?ack=2');
    await store.write({ cursor: 'https://pool/ucwa/events?ack=3' }, etag);
    // A writer holding the old ETag lost the race.
    await expect(store.write({ cursor: 'stale' }, etag)).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(store.write({ cursor: 'again' }, undefined)).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await store.read()).state.cursor).toBe('https://pool/ucwa/events?ack=3');
  });
});

describe('IdempotencyStore (Azurite)', () => {
  const key = () =>
    `eject|https://pool/ucwa/oauth/v1/applications/1/communication/conversations/2/participants/${randomUUID()}`;

  it('claims once; a second claim is busy, then done after completion', async () => {
    const store = new IdempotencyStore(uniqueTable('idem'));
    const k = key();
    const claim = await store.claim(k);
    expect(claim).toMatchObject({ kind: 'claimed', takenOver: false });
    expect(await store.claim(k)).toEqual({ kind: 'busy' });
    if (claim.kind !== 'claimed') throw new Error('unreachable');
    await store.complete(k, claim.etag, 'done');
    expect(await store.claim(k)).toMatchObject({ kind: 'done', outcome: 'done' });
  });

  it('lets one of two concurrent claimers win', async () => {
    const store = new IdempotencyStore(uniqueTable('idem'));
    const k = key();
    const claims = await Promise.all([store.claim(k), store.claim(k), store.claim(k)]);
    expect(claims.filter((claim) => claim.kind === 'claimed')).toHaveLength(1);
  });

  it('takes over a stale or abandoned claim, once', async () => {
    const store = new IdempotencyStore(uniqueTable('idem'), 1_000);
    const k = key();
    const t0 = new Date('2026-01-01T00:00:00Z');
    await store.claim(k, t0);
    expect(await store.claim(k, new Date(t0.getTime() + 500))).toEqual({ kind: 'busy' });
    const later = new Date(t0.getTime() + 5_000);
    const [a, b] = await Promise.all([store.claim(k, later), store.claim(k, later)]);
    expect([a, b].filter((claim) => claim.kind === 'claimed' && claim.takenOver)).toHaveLength(1);

    const k2 = key();
    const claim = await store.claim(k2);
    if (claim.kind !== 'claimed') throw new Error('unreachable');
    await store.abandon(k2, claim.etag);
    expect(await store.claim(k2)).toMatchObject({ kind: 'claimed', takenOver: true });
  });

  it('re-opens a done key only with the current ETag', async () => {
    const store = new IdempotencyStore(uniqueTable('idem'));
    const k = key();
    const claim = await store.claim(k);
    if (claim.kind !== 'claimed') throw new Error('unreachable');
    await store.complete(k, claim.etag, 'done');
    const done = await store.claim(k);
    if (done.kind !== 'done') throw new Error('unreachable');
    expect(await store.takeOver(k, done.etag)).toMatchObject({ kind: 'claimed', takenOver: true });
    expect(await store.takeOver(k, done.etag)).toEqual({ kind: 'busy' });
  });
});

describe('AuditLog (Azurite)', () => {
  it('keeps entries per UTC day in time order', async () => {
    const audit = new AuditLog(uniqueTable('audit'));
    const base = {
      key: 'k',
      subject: 'lobby' as const,
      facts: { anonymous: true },
      rule: 'r',
      decision: 'eject',
      mode: 'enforce' as const,
    };
    await audit.record({ ...base, at: new Date('2026-03-01T10:00:02Z'), outcome: 'done' });
    await audit.record({ ...base, at: new Date('2026-03-01T10:00:01Z'), outcome: 'would-do' });
    await audit.record({ ...base, at: new Date('2026-03-02T00:00:00Z'), outcome: 'done' });
    const rows = await audit.day('2026-03-01');
    expect(rows.map((row) => row.outcome)).toEqual(['would-do', 'done']);
    expect(JSON.parse(String(rows[0]?.facts))).toEqual({ anonymous: true });
  });
});

describe('ChannelLease (Azurite)', () => {
  it('admits one holder at a time and frees on release', async () => {
    const blobs = azuriteBlobs();
    const container = `locks-${randomUUID()}`.slice(0, 40);
    const a = new ChannelLease(blobs, container, 'event-channel', 15);
    const b = new ChannelLease(blobs, container, 'event-channel', 15);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.renew()).toBe(true);
    expect(await b.renew()).toBe(false);
    await a.release();
    expect(await b.acquire()).toBe(true);
    await b.release();
  });
});
