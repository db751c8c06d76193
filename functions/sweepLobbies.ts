import { forEveryAccount } from '../shared/app/account-runtimes.js';
import { runSweep } from '../shared/app/jobs.js';
import type { TimerFunction } from './definition.js';
import { account } from './log-account.js';

/** Every 2 minutes: re-read the lobbies the events may have missed; rejoin watched meetings. */
export const sweepLobbies: TimerFunction = {
  kind: 'timer',
  name: 'sweepLobbies',
  schedule: '30 */2 * * * *',
  handler: async (_timer, context) => {
    await forEveryAccount(async (rt) => {
      const result = await runSweep(rt);
      context.log(
        `sweepLobbies${account(rt)}: ${result.meetings} meetings, ${result.lobbyParticipants} in lobbies, ${result.joined} joined`,
      );
    });
  },
};
