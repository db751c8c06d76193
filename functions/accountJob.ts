import { JOB_QUEUE, runAccountJob } from '../shared/app/account-jobs.js';
import { accountRuntimes } from '../shared/app/account-runtimes.js';
import { shutdownSignal, untilShutdown } from '../shared/app/shutdown.js';
import type { QueueFunction } from './definition.js';

/** One account's job (watch, sweep, digest, purge), as the timers queue them: the unit the host scales by. */
export const accountJob: QueueFunction = {
  kind: 'queue',
  name: 'accountJob',
  queueName: JOB_QUEUE,
  handler: async (message, context) => {
    const outcome = await untilShutdown(runAccountJob(accountRuntimes(), message, shutdownSignal));
    if ('done' in outcome) context.log(`${outcome.done} [${outcome.account}]: ${outcome.summary}`);
    else if ('skipped' in outcome) context.log(`skipped: ${outcome.skipped}`);
    else context.warn(`rejected: ${outcome.rejected}`);
  },
};
