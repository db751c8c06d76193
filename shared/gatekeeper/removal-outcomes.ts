import type { ActionOutcome } from './outcome.js';

/** How a removal ends when the server can no longer show its participant. */
export const APPLICATION_GONE: ActionOutcome = {
  status: 'skipped',
  detail: 'its application is gone; a guest still waiting is guarded under the current one',
};
/** A removal request went out before a restart, and the server can no longer show the participant. */
export const SENT_THEN_GONE: ActionOutcome = {
  status: 'done',
  detail: 'removed: the request went out before a restart, and the participant is gone',
};
export const SENT_UNDER_GONE_APPLICATION: ActionOutcome = {
  status: 'done',
  detail:
    'removal requested before a restart; its application is gone since, so the server cannot confirm it',
};
/** The href leads nowhere, but the same guest waits under another one (a re-joined meeting, a new application). */
export const STILL_WAITING: ActionOutcome = {
  status: 'skipped',
  detail: 'no longer at this address: waiting under another one, and guarded there',
};
