import { runDigest } from '../shared/app/jobs.js';
import { runtime } from '../shared/app/runtime.js';
import type { TimerFunction } from './definition.js';

/** Hourly: a digest of the hour's activity to chat, only when there was some. */
export const digest: TimerFunction = {
  kind: 'timer',
  name: 'digest',
  schedule: '0 0 * * * *',
  handler: async (_timer, context) => {
    const notice = await runDigest(await runtime());
    context.log(notice ? 'digest: posted' : 'digest: quiet hour, nothing posted');
  },
};
