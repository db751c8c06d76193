import { forEveryAccount } from '../shared/app/account-runtimes.js';
import { runRetention } from '../shared/app/jobs.js';
import type { TimerFunction } from './definition.js';
import { account } from './log-account.js';

/** Daily: finished notices and claims past OUTBOX_RETENTION_DAYS, audit rows past AUDIT_RETENTION_DAYS. */
export const purgeExpired: TimerFunction = {
  kind: 'timer',
  name: 'purgeExpired',
  schedule: '0 17 3 * * *',
  handler: async (_timer, context) => {
    await forEveryAccount(async (rt) => {
      const result = await runRetention(rt);
      context.log(
        `purgeExpired${account(rt)}: ${result.notices} notices, ${result.claims} claims, ${result.auditRows} audit rows deleted`,
      );
    });
  },
};
