import { fanOut } from '../shared/app/account-jobs.js';
import { accountRuntimes } from '../shared/app/account-runtimes.js';
import type { TimerFunction } from './definition.js';

/** Every 2 minutes, per account (queued, see accountJob): re-read the lobbies the events may have missed; rejoin watched meetings. */
export const sweepLobbies: TimerFunction = {
  kind: 'timer',
  name: 'sweepLobbies',
  schedule: '30 */2 * * * *',
  handler: async (_timer, context) => {
    context.log(`sweepLobbies: queued for ${await fanOut(accountRuntimes(), 'sweep')} accounts`);
  },
};
