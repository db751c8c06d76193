import { describe, expect, it } from 'vitest';
import { watchDeadline } from '../../functions/watchEvents.js';

const at = (iso: string) => Date.parse(iso);

describe('watchEvents deadline', () => {
  it('stops 10 s before the next run', () => {
    expect(watchDeadline('2026-11-26T08:05:00Z', at('2026-11-26T08:00:01Z'))).toBe(
      at('2026-11-26T08:04:50Z'),
    );
  });
  it('holds on to the run after when the next one is under a minute away', () => {
    expect(watchDeadline('2026-11-26T08:05:00Z', at('2026-11-26T08:04:55Z'))).toBe(
      at('2026-11-26T08:09:50Z'),
    );
    expect(watchDeadline(undefined, at('2026-11-26T08:04:30Z'))).toBe(at('2026-11-26T08:09:50Z'));
  });
  it('computes the schedule itself when the host gives no (or a past) next occurrence', () => {
    expect(watchDeadline(undefined, at('2026-11-26T08:01:00Z'))).toBe(at('2026-11-26T08:04:50Z'));
    expect(watchDeadline('2026-11-26T07:00:00Z', at('2026-11-26T08:01:00Z'))).toBe(
      at('2026-11-26T08:04:50Z'),
    );
  });
});
