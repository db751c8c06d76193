import { RestError } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { codeOf, statusOf } from '../../shared/lib/azure-status.js';
import { backoffDelay, type Jitter } from '../../shared/lib/backoff.js';
import { describeError, errorMessage, errorName } from '../../shared/lib/describe-error.js';
import { ensureTable } from '../../shared/lib/ensure-table.js';
import { isHttpsOrLoopback, isLoopbackHost } from '../../shared/lib/loopback.js';
import { parseRetryAfter } from '../../shared/lib/retry-after.js';
import { rowKeyOf } from '../../shared/lib/row-key.js';
import { sleep } from '../../shared/lib/sleep.js';

describe('backoffDelay', () => {
  const backoff = { baseMs: 1_000, maxMs: 8_000 };
  it.each<[Jitter, number, number, number]>([
    ['none', 0, 0.5, 1_000],
    ['none', 2, 0.5, 4_000],
    ['none', 10, 0.5, 8_000],
    ['full', 0, 0, 0],
    ['full', 0, 0.999, 999],
    ['full', 20, 0.999, 7_992],
    ['equal', 0, 0, 500],
    ['equal', 0, 0.999, 999],
    ['equal', 3, 0, 4_000],
  ])('%s jitter, attempt %i, random %f → %i ms', (jitter, attempt, random, delay) => {
    expect(backoffDelay(backoff, attempt, jitter, () => random)).toBe(delay);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP-dates; anything else is undefined', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    expect(parseRetryAfter(' 3 ')).toBe(3_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter(new Date(1_000).toUTCString(), 4_000)).toBe(0);
    expect(parseRetryAfter('later')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('statusOf', () => {
  it('is the status of an Azure SDK error and nothing else', () => {
    expect(statusOf(new RestError('gone', { statusCode: 404 }))).toBe(404);
    expect(statusOf(new RestError('no answer'))).toBeUndefined();
    expect(statusOf(Object.assign(new Error('lookalike'), { statusCode: 500 }))).toBeUndefined();
    expect(statusOf(undefined)).toBeUndefined();
  });
  it('and its service error code', () => {
    expect(codeOf(new RestError('gone', { statusCode: 404, code: 'ContainerNotFound' }))).toBe(
      'ContainerNotFound',
    );
    expect(codeOf({ code: 'ENOTFOUND' })).toBeUndefined();
  });
});

describe('errors for logs', () => {
  class Refused extends Error {
    override name = 'Refused';
  }
  it('name and message, message, name', () => {
    expect(describeError(new Refused('no'))).toBe('Refused: no');
    expect(describeError('text')).toBe('text');
    expect(errorMessage(new Refused('no'))).toBe('no');
    expect(errorMessage(42)).toBe('42');
    expect(errorName(new Refused('no'))).toBe('Refused');
    expect(errorName('text')).toBe('Error');
  });
});

describe('loopback', () => {
  it.each([
    ['http://127.0.0.1:7071/x', true],
    ['http://127.8.9.10/', true],
    ['http://localhost/', true],
    ['http://[::1]:80/', true],
    ['https://example.com/', true],
    ['http://example.com/', false],
    ['http://128.0.0.1/', false],
    ['ftp://localhost/', false],
  ])('%s → %s', (url, allowed) => {
    expect(isHttpsOrLoopback(new URL(url))).toBe(allowed);
  });
  it('knows the loopback host names', () => {
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
  });
});

describe('rowKeyOf', () => {
  it('is the sha256 hex of the key: no character a table key refuses', () => {
    expect(rowKeyOf('https://x/a#b?c')).toMatch(/^[0-9a-f]{64}$/);
    expect(rowKeyOf('a')).toBe('ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb');
  });
});

describe('ensureTable', () => {
  it('creates a table once per process, and again after a failure', async () => {
    let calls = 0;
    let fail = true;
    const table = {
      url: 'http://127.0.0.1/account',
      tableName: `t${Math.random()}`,
      createTable: async () => {
        calls++;
        if (fail) throw new Error('outage');
      },
    };
    await expect(ensureTable(table)).rejects.toThrow('outage');
    fail = false;
    await ensureTable(table);
    await ensureTable(table);
    expect(calls).toBe(2);
  });
});

describe('sleep', () => {
  it('rejects with the reason when aborted', async () => {
    const stop = new AbortController();
    const slept = sleep(60_000, stop.signal);
    stop.abort(new Error('stopped'));
    await expect(slept).rejects.toThrow('stopped');
    await expect(sleep(0)).resolves.toBeUndefined();
  });
});
