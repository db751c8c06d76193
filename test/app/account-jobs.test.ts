import { describe, expect, it } from 'vitest';
import { fanOut, JOBS, queueOf, runAccountJob } from '../../shared/app/account-jobs.js';
import type { Account } from '../../shared/app/accounts.js';
import { jobBoard } from '../../shared/app/health.js';
import type { Runtime } from '../../shared/app/runtime.js';
import { parseSettings } from '../../shared/config.js';

const account = (id: string): Account => ({ id, settings: parseSettings({}), own: new Set() });

/** Accounts without runtimes: a job that would need one fails the test. */
const runtimes = (...ids: string[]) => ({
  accounts: () => ({ accounts: ids.map(account), problems: [] }),
  runtimeOf: async (): Promise<Runtime> => {
    throw new Error('no runtime in this test');
  },
});

describe('account job messages', () => {
  it.each([
    ['not JSON', 'hold the channel please', 'rejected'],
    ['no job', { account: 'townhall' }, 'rejected'],
    ['a job nobody runs', { job: 'reboot', account: 'townhall' }, 'rejected'],
    ['a field it does not know', { job: 'sweep', account: 'townhall', extra: 1 }, 'rejected'],
    ['a date that is not one', { job: 'watch', account: 'townhall', until: 'soon' }, 'rejected'],
    ['an account no longer guarded', { job: 'sweep', account: 'gone' }, 'skipped'],
    [
      'a watch whose period ended',
      { job: 'watch', account: 'townhall', until: '2026-01-01T00:00:00Z' },
      'skipped',
    ],
    ['a watch without a period', { job: 'watch', account: 'townhall' }, 'skipped'],
  ])('%s: %s, never a crash and never a retry', async (_label, body, outcome) => {
    const result = await runAccountJob(
      runtimes('townhall'),
      body,
      undefined,
      Date.parse('2026-06-01T12:00:00Z'),
    );
    expect(Object.keys(result)).toEqual([outcome]);
  });

  it('reads a message handed over as JSON text, as well as parsed', async () => {
    const text = JSON.stringify({ job: 'sweep', account: 'gone' });
    expect(await runAccountJob(runtimes('townhall'), text)).toEqual({
      skipped: 'account gone is not guarded (any more)',
    });
  });
});

describe('the queues', () => {
  it('watches have a queue of their own: an instance holding channels still takes the short jobs', () => {
    expect(JOBS.map((job) => [job, queueOf(job)])).toEqual([
      ['watch', 'gatekeeper-watch'],
      ['sweep', 'gatekeeper-jobs'],
      ['digest', 'gatekeeper-jobs'],
      ['purge', 'gatekeeper-jobs'],
    ]);
  });
});

describe('fanOut', () => {
  it('queues one message per account; one that cannot be sent fails the run after the others went', async () => {
    const sent: unknown[] = [];
    const queue = {
      send: async (json: string) => {
        const message = JSON.parse(json) as { account: string };
        if (message.account === 'exec') throw new Error('queue unavailable');
        sent.push(message);
      },
    };
    const until = '2026-06-01T12:04:50.000Z';
    await expect(fanOut(runtimes('townhall', 'exec', 'helpdesk'), 'watch', { until }, queue)).rejects.toThrow(
      /Could not queue watch for 1 of 3 accounts: queue unavailable/,
    );
    expect(sent).toEqual([
      { job: 'watch', account: 'townhall', until },
      { job: 'watch', account: 'helpdesk', until },
    ]);
    expect(jobBoard.status().status).toBe('degraded');
    sent.length = 0;
    expect(await fanOut(runtimes('townhall'), 'watch', { until }, queue)).toBe(1);
    expect(jobBoard.status().status).toBe('ok');
    sent.length = 0;
    expect(await fanOut(runtimes('townhall'), 'digest', {}, queue)).toBe(1);
    expect(sent).toEqual([{ job: 'digest', account: 'townhall' }]);
  });
});
