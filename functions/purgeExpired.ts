import { fanOut } from '../shared/app/account-jobs.js';
import { accountRuntimes } from '../shared/app/account-runtimes.js';
import type { TimerFunction } from './definition.js';

/** Daily, per account (queued, see accountJob): finished notices and claims past OUTBOX_RETENTION_DAYS, audit rows past AUDIT_RETENTION_DAYS. */
export const purgeExpired: TimerFunction = {
  kind: 'timer',
  name: 'purgeExpired',
  schedule: '0 17 3 * * *',
  handler: async (_timer, context) => {
    context.log(`purgeExpired: queued for ${await fanOut(accountRuntimes(), 'purge')} accounts`);
  },
};
