import { forEveryAccount } from '../shared/app/account-runtimes.js';
import { runDigest } from '../shared/app/jobs.js';
import type { TimerFunction } from './definition.js';
import { account } from './log-account.js';

/** Hourly: a digest of the hour's activity to chat, only when there was some. */
export const digest: TimerFunction = {
  kind: 'timer',
  name: 'digest',
  schedule: '0 0 * * * *',
  handler: async (_timer, context) => {
    await forEveryAccount(async (rt) => {
      const notice = await runDigest(rt);
      context.log(`digest${account(rt)}: ${notice ? 'posted' : 'quiet hour, nothing posted'}`);
    });
  },
};
