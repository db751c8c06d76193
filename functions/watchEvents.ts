import { Cron } from 'croner';
import { runWatch } from '../shared/gatekeeper/jobs.js';
import { runtime } from '../shared/gatekeeper/runtime.js';
import type { TimerFunction } from './definition.js';

/** Every 5 minutes; each run holds the event channel until shortly before the next one is due. */
const SCHEDULE = '0 */5 * * * *';
/** Stop this long before the next run, so runs never overlap and the gap stays a few seconds. */
const HAND_OVER_MS = 10_000;

export const watchEvents: TimerFunction = {
  kind: 'timer',
  name: 'watchEvents',
  schedule: SCHEDULE,
  handler: async (timer, context) => {
    const next = timer.scheduleStatus?.next ? Date.parse(timer.scheduleStatus.next) : Number.NaN;
    const due =
      Number.isNaN(next) || next <= Date.now()
        ? (new Cron(SCHEDULE, { timezone: 'UTC' }).nextRun()?.getTime() ?? Date.now() + 300_000)
        : next;
    const result = await runWatch(await runtime(), due - HAND_OVER_MS);
    context.log(
      `watchEvents: ${result.outcome}, ${result.batches} batches, ${result.events} events, ${result.recreated} re-created`,
    );
  },
};
