import { fanOut } from '../shared/app/account-jobs.js';
import { accountRuntimes } from '../shared/app/account-runtimes.js';
import type { TimerFunction } from './definition.js';

/** Hourly, per account (queued, see accountJob): a digest of the hour's activity to chat, only when there was some. */
export const digest: TimerFunction = {
  kind: 'timer',
  name: 'digest',
  schedule: '0 0 * * * *',
  handler: async (_timer, context) => {
    context.log(`digest: queued for ${await fanOut(accountRuntimes(), 'digest')} accounts`);
  },
};
