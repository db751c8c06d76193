import { JOB_QUEUE, runAccountJob, WATCH_QUEUE } from '../shared/app/account-jobs.js';
import { accountRuntimes } from '../shared/app/account-runtimes.js';
import { shutdownSignal, untilShutdown } from '../shared/app/shutdown.js';
import type { QueueFunction } from './definition.js';

/** One queued job of one account; the host scales instances with the queues. */
const handler: QueueFunction['handler'] = async (message, context) => {
  const outcome = await untilShutdown(runAccountJob(accountRuntimes(), message, shutdownSignal));
  if ('done' in outcome) {
    context.log(`${outcome.done} [${outcome.account}]: ${outcome.summary}`);
    // Thrown, so the message becomes visible again and another instance holds the channel for the rest.
    if (outcome.cutShort) throw new Error(`watch [${outcome.account}] cut short by a shutdown; handed back`);
  } else if ('skipped' in outcome) context.log(`skipped: ${outcome.skipped}`);
  else context.warn(`rejected: ${outcome.rejected}`);
};

/** An account's watch, as watchEvents queues them: the unit the host scales by. */
export const watchAccount: QueueFunction = {
  kind: 'queue',
  name: 'watchAccount',
  queueName: WATCH_QUEUE,
  handler,
};

/** An account's sweep, digest or purge, as the other timers queue them. */
export const accountJob: QueueFunction = { kind: 'queue', name: 'accountJob', queueName: JOB_QUEUE, handler };
