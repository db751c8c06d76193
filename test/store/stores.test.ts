import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../shared/store/audit-log.js';
import { ChannelLease } from '../../shared/store/channel-lease.js';
import { ConcurrencyError, CursorStore } from '../../shared/store/cursor-store.js';
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

  it('keeps one row per effect: writing the same effect again rewrites it', async () => {
    const audit = new AuditLog(uniqueTable('audit'));
    const entry = {
      at: new Date('2026-03-01T23:59:59Z'),
      key: 'eject|p1',
      subject: 'lobby' as const,
      facts: {},
      rule: 'r',
      decision: 'eject',
      mode: 'enforce' as const,
      outcome: 'done',
    };
    await audit.record(entry);
    await audit.record({ ...entry, detail: 'again' });
    const rows = await audit.day('2026-03-01');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.detail).toBe('again');
  });

  it('finds the entry a chat notice names by its reference', async () => {
    const audit = new AuditLog(uniqueTable('audit'));
    const entry = {
      at: new Date('2026-03-01T12:00:00Z'),
      key: 'eject|p2',
      subject: 'lobby' as const,
      facts: {},
      rule: 'r',
      decision: 'eject',
      mode: 'enforce' as const,
      outcome: 'done',
    };
    await audit.record({ ...entry, ref: '0123456789' });
    await audit.record({ ...entry, key: 'eject|p3', ref: 'abcdefabcd' });
    const rows = await audit.byRef('abcdefabcd');
    expect(rows.map((row) => row.key)).toEqual(['eject|p3']);
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
