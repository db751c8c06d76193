import { describe, expect, it } from 'vitest';
import { compactNotice, fitJson } from '../../shared/chat/compact.js';
import {
  afterPost,
  type BackoffPolicy,
  itemAfter,
  parseSinks,
  retryDelay,
  type SinkRecord,
  sinkDue,
} from '../../shared/chat/outbox-decision.js';
import type { DeliveryResult } from '../../shared/chat/sink.js';
import { invitationNotice } from './notices.js';

const NOW = new Date('2025-01-02T03:00:00.000Z');
const iso = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const POLICY: BackoffPolicy = { baseMs: 1_000, maxMs: 8_000, maxRetryAfterMs: 60_000 };

describe('sinkDue', () => {
  it.each<[string, SinkRecord | undefined, boolean]>([
    ['never tried', undefined, true],
    ['pending, never failed', { state: 'pending', attempts: 0 }, true],
    ['pending, retry due now', { state: 'pending', attempts: 1, nextAttemptAt: iso(0) }, true],
    ['pending, retry later', { state: 'pending', attempts: 1, nextAttemptAt: iso(1) }, false],
    ['delivered', { state: 'delivered', attempts: 1, at: iso(-1) }, false],
    ['failed for good', { state: 'failed', attempts: 1, at: iso(-1) }, false],
  ])('%s → %s', (_label, record, due) => {
    expect(sinkDue(record, NOW)).toBe(due);
  });
});

describe('retryDelay', () => {
  it.each<[string, number, number | undefined, number, number]>([
    ['first failure, no jitter: half the base', 1, undefined, 0, 500],
    ['first failure, most jitter: nearly the base', 1, undefined, 0.999, 999],
    ['doubles per attempt', 3, undefined, 0, 2_000],
    ['capped at maxMs', 10, undefined, 0, 4_000],
    ['a longer Retry-After wins', 1, 30_000, 0, 30_000],
    ['a shorter Retry-After does not', 3, 100, 0, 2_000],
    ['Retry-After capped at maxRetryAfterMs', 1, 3_600_000, 0, 60_000],
  ])('%s', (_label, attempts, retryAfterMs, jitter, delay) => {
    expect(retryDelay(POLICY, attempts, retryAfterMs, jitter)).toBe(delay);
  });
});

describe('afterPost', () => {
  const noJitter = () => 0;
  it.each<[string, SinkRecord | undefined, DeliveryResult, SinkRecord]>([
    [
      'delivered on the first post',
      undefined,
      { outcome: 'delivered' },
      { state: 'delivered', attempts: 1, at: iso(0) },
    ],
    [
      'delivered after two failures',
      { state: 'pending', attempts: 2, nextAttemptAt: iso(0), lastError: 'x' },
      { outcome: 'delivered', httpStatus: 200 },
      { state: 'delivered', attempts: 3, at: iso(0) },
    ],
    [
      'failed for good',
      undefined,
      { outcome: 'failed', message: 'answered 404' },
      { state: 'failed', attempts: 1, at: iso(0), lastError: 'answered 404' },
    ],
    [
      'retry, backed off by attempt',
      { state: 'pending', attempts: 1, nextAttemptAt: iso(0) },
      { outcome: 'retry', message: 'answered 503' },
      { state: 'pending', attempts: 2, nextAttemptAt: iso(1_000), lastError: 'answered 503' },
    ],
    [
      'retry after Retry-After',
      undefined,
      { outcome: 'retry', message: 'answered 429', retryAfterMs: 120_000 },
      { state: 'pending', attempts: 1, nextAttemptAt: iso(60_000), lastError: 'answered 429' },
    ],
  ])('%s', (_label, previous, result, next) => {
    expect(afterPost(previous, result, { now: NOW, policy: POLICY, random: noJitter })).toEqual(next);
  });

  it('caps a long error message and draws jitter only for a retry', () => {
    let draws = 0;
    const random = () => {
      draws += 1;
      return 0;
    };
    const pass = { now: NOW, policy: POLICY, random };
    const failed = afterPost(undefined, { outcome: 'failed', message: 'e'.repeat(2_000) }, pass);
    expect(failed.lastError?.length).toBeLessThanOrEqual(500);
    expect(draws).toBe(0);
    afterPost(undefined, { outcome: 'retry', message: 'x' }, pass);
    expect(draws).toBe(1);
  });
});

describe('itemAfter', () => {
  const delivered: SinkRecord = { state: 'delivered', attempts: 1, at: iso(0) };
  const failed: SinkRecord = { state: 'failed', attempts: 1, at: iso(0) };
  const retryAt = (ms: number): SinkRecord => ({ state: 'pending', attempts: 1, nextAttemptAt: iso(ms) });
  it.each<[string, string[], Record<string, SinkRecord>, ReturnType<typeof itemAfter>]>([
    ['every sink delivered', ['a', 'b'], { a: delivered, b: delivered }, { state: 'done' }],
    ['delivered or failed for good', ['a', 'b'], { a: delivered, b: failed }, { state: 'done' }],
    [
      'a sink waits for its retry',
      ['a', 'b'],
      { a: delivered, b: retryAt(5_000) },
      { state: 'pending', nextAttemptAt: new Date(iso(5_000)) },
    ],
    [
      'the earliest retry sets the due time',
      ['a', 'b'],
      { a: retryAt(9_000), b: retryAt(2_000) },
      { state: 'pending', nextAttemptAt: new Date(iso(2_000)) },
    ],
    [
      'a sink not tried yet (aborted pass) is due now',
      ['a', 'b'],
      { a: retryAt(9_000) },
      { state: 'pending', nextAttemptAt: NOW },
    ],
    [
      'records of sinks no longer configured do not count',
      ['a'],
      { a: delivered, old: retryAt(1) },
      { state: 'done' },
    ],
  ])('%s', (_label, sinks, records, expected) => {
    expect(itemAfter(sinks, records, NOW)).toEqual(expected);
  });
});

describe('parseSinks', () => {
  it.each<[string | undefined, Record<string, SinkRecord>]>([
    [undefined, {}],
    ['', {}],
    ['not json', {}],
    ['null', {}],
    ['{"a":{"state":"delivered","attempts":1}}', { a: { state: 'delivered', attempts: 1 } }],
  ])('%j', (json, records) => {
    expect(parseSinks(json)).toEqual(records);
  });
});

describe('compaction', () => {
  it('fits JSON by capping strings harder, and gives up when even the hardest caps do not fit', () => {
    const value = { name: 'n'.repeat(10_000), list: Array.from({ length: 100 }, (_, i) => i) };
    const fitted = fitJson(value, 2_000);
    expect(fitted?.length).toBeLessThanOrEqual(2_000);
    expect((JSON.parse(fitted ?? '{}') as { list: number[] }).list).toHaveLength(32);
    expect(fitJson({ a: 'x'.repeat(100) }, 10)).toBeUndefined();
  });

  it('keeps a small notice as it is, and an oversized one readable and under one table property', () => {
    const small = invitationNotice();
    expect(JSON.parse(compactNotice(small))).toEqual(small);
    const big = invitationNotice({
      invitation: { modality: 'messaging', firstMessage: '\u0001'.repeat(100_000) },
    });
    const stored = compactNotice(big);
    expect(stored.length).toBeLessThanOrEqual(30_000);
    expect(JSON.parse(stored)).toMatchObject({ id: big.id, kind: 'invitation' });
  });
});
