import { runRetention } from '../shared/app/jobs.js';
import { runtime } from '../shared/app/runtime.js';
import type { TimerFunction } from './definition.js';

/** Daily: finished notices and claims past OUTBOX_RETENTION_DAYS, audit rows past AUDIT_RETENTION_DAYS. */
export const purgeExpired: TimerFunction = {
  kind: 'timer',
  name: 'purgeExpired',
  schedule: '0 17 3 * * *',
  handler: async (_timer, context) => {
    const result = await runRetention(await runtime());
    context.log(
      `purgeExpired: ${result.notices} notices, ${result.claims} claims, ${result.auditRows} audit rows deleted`,
    );
  },
};
