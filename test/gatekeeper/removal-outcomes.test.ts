import { describe, expect, it } from 'vitest';
import {
  ALREADY_LEFT,
  APPLICATION_GONE,
  leadsNowhere,
  SEEN_ELSEWHERE,
  SENT_THEN_GONE,
  SENT_UNDER_GONE_APPLICATION,
  STILL_WAITING,
  type WhereNow,
} from '../../shared/gatekeeper/removal-outcomes.js';

describe('what a removal comes to when its href shows nobody', () => {
  it.each([
    // sent, dropped, where the guest waits now → outcome
    [false, true, 'waiting', APPLICATION_GONE],
    [false, true, 'unknown', APPLICATION_GONE],
    [false, false, 'waiting', STILL_WAITING],
    [false, false, 'absent', ALREADY_LEFT],
    [false, false, 'unknown', 'unknown'],
    [true, false, 'waiting', STILL_WAITING],
    [true, false, 'absent', SENT_THEN_GONE],
    [true, false, 'unknown', 'unknown'],
    [true, true, 'waiting', STILL_WAITING],
    [true, true, 'absent', SENT_UNDER_GONE_APPLICATION],
    [true, true, 'unknown', 'unknown'],
    [true, true, 'seen-elsewhere', SEEN_ELSEWHERE],
    [true, false, 'seen-elsewhere', SEEN_ELSEWHERE],
    [false, false, 'seen-elsewhere', SEEN_ELSEWHERE],
  ] as const)('sent %s, application dropped %s, guest %s', async (sent, dropped, where, expected) => {
    expect(await leadsNowhere({ sent, dropped }, async () => where as WhereNow)).toEqual(expected);
  });

  it('a request that never went out under a dropped application reads no lobby', async () => {
    let asked = false;
    await leadsNowhere({ sent: false, dropped: true }, async () => {
      asked = true;
      return 'absent';
    });
    expect(asked).toBe(false);
  });
});
