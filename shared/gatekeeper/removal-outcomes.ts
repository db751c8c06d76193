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
/** A removal whose participant is gone from this href, and no request of it took effect. */
export const ALREADY_LEFT: ActionOutcome = {
  status: 'already-left',
  detail: 'the participant had already left',
};

/** The guest was seen waiting under another address after this claim's request went out: it did not remove them. */
export const SEEN_ELSEWHERE: ActionOutcome = {
  status: 'skipped',
  detail: 'seen waiting under another address after this request, and guarded there',
};

/**
 * Closed because the href showed nobody: if a guest is waiting at that href again later, they knocked again,
 * and the claim re-opens as a new effect (like `already-left`).
 */
export const LED_NOWHERE: ReadonlySet<string | undefined> = new Set([
  APPLICATION_GONE.detail,
  STILL_WAITING.detail,
  SEEN_ELSEWHERE.detail,
  // Written by the release before (a removal marker, since replaced by SEEN_ELSEWHERE): purged by retention.
  'removed under their new address (a re-joined meeting or a new application)',
]);

/**
 * Whether the guest a claim names waits in a lobby of the current application, or was seen waiting under
 * another address since its request went out (`CurrentView.whereNow`).
 */
export type WhereNow = 'waiting' | 'absent' | 'unknown' | 'seen-elsewhere';

/**
 * What a removal comes to when its href shows nobody — decided here only, for the act path, a 404 answer
 * and recovery. `sent`: its request may have gone out (the claim's `sentAt`); `dropped`: the href's
 * application is gone. Gone from one href is not gone: a re-joined meeting or a re-created application shows
 * the same guest under another one, where they are guarded. `unknown` while the current lobbies cannot be
 * read: the caller tries again later rather than guess.
 */
export async function leadsNowhere(
  { sent, dropped }: { sent: boolean; dropped: boolean },
  whereNow: () => Promise<WhereNow>,
): Promise<ActionOutcome | 'unknown'> {
  if (!sent && dropped) return APPLICATION_GONE;
  const where = await whereNow();
  if (where === 'waiting') return STILL_WAITING;
  // Waiting under another address after this request went out: it did not remove them, and the claim there
  // reports what became of them (the soak saw a burst cut off by kills reported twice, once per application).
  if (where === 'seen-elsewhere') return SEEN_ELSEWHERE;
  if (where === 'unknown') return 'unknown';
  if (!sent) return ALREADY_LEFT;
  return dropped ? SENT_UNDER_GONE_APPLICATION : SENT_THEN_GONE;
}
