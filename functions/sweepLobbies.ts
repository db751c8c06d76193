import { runSweep } from '../shared/app/jobs.js';
import { runtime } from '../shared/app/runtime.js';
import type { TimerFunction } from './definition.js';

/** Every 2 minutes: re-read the lobbies the events may have missed; rejoin watched meetings. */
export const sweepLobbies: TimerFunction = {
  kind: 'timer',
  name: 'sweepLobbies',
  schedule: '30 */2 * * * *',
  handler: async (_timer, context) => {
    const result = await runSweep(await runtime());
    context.log(
      `sweepLobbies: ${result.meetings} meetings, ${result.lobbyParticipants} in lobbies, ${result.joined} joined`,
    );
  },
};
