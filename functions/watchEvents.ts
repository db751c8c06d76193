import { Cron } from 'croner';
import { fanOut } from '../shared/app/account-jobs.js';
import { accountRuntimes } from '../shared/app/account-runtimes.js';
import type { TimerFunction } from './definition.js';

/** Every 5 minutes; each run holds the event channel until shortly before the next one is due. */
const SCHEDULE = '0 */5 * * * *';
/** Stop this long before the next run, so runs never overlap and the gap stays a few seconds. */
const HAND_OVER_MS = 10_000;

/**
 * Stop shortly before the next run is due — unless that leaves under a minute (a run started late, or by hand):
 * then hold on until shortly before the one after: the next tick's watch finds the channel held (its lease)
 * and leaves it to this one. Either way the channel is never left unpolled for more than the hand-over.
 */
export function watchDeadline(scheduledNext: string | undefined, now: number): number {
  const parsed = scheduledNext ? Date.parse(scheduledNext) : Number.NaN;
  const cron = new Cron(SCHEDULE, { timezone: 'UTC' });
  let next =
    Number.isNaN(parsed) || parsed <= now
      ? (cron.nextRun(new Date(now))?.getTime() ?? now + 300_000)
      : parsed;
  if (next - HAND_OVER_MS - now < 60_000) next = cron.nextRun(new Date(next))?.getTime() ?? next + 300_000;
  return next - HAND_OVER_MS;
}

/** Every 5 minutes, one message per account (see watchAccount): hold its event channel until the deadline. */
export const watchEvents: TimerFunction = {
  kind: 'timer',
  name: 'watchEvents',
  schedule: SCHEDULE,
  handler: async (timer, context) => {
    const until = new Date(watchDeadline(timer.scheduleStatus?.next, Date.now())).toISOString();
    context.log(`watchEvents: queued for ${await fanOut(accountRuntimes(), 'watch', { until })} accounts`);
  },
};
