import { describe, expect, it } from 'vitest';
import {
  afterRefusal,
  type LifecycleContext,
  nextStep,
  type Step,
} from '../../shared/gatekeeper/claim-lifecycle.js';
import type { ClaimRecord } from '../../shared/gatekeeper/ports.js';
import { STILL_WAITING } from '../../shared/gatekeeper/removal-outcomes.js';

const T0 = Date.parse('2026-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const ctx = (over: Partial<LifecycleContext> = {}): LifecycleContext => ({
  owner: 'me',
  now: T0,
  mode: 'enforce',
  staleAfterMs: 60_000,
  ...over,
});
const removal = (offersRemoval = true) => ({ removal: { offersRemoval, reknockAfterMs: 30_000 } });
const claim = (over: Partial<ClaimRecord> = {}): ClaimRecord => ({
  key: 'eject|p',
  state: 'pending',
  owner: 'other',
  effectAt: iso(T0 - 1_000),
  touchedAt: iso(T0 - 1_000),
  attempts: 0,
  etag: '1',
  ...over,
});
const touch = { owner: 'me', touchedAt: iso(T0) };
const reopen = {
  state: 'pending',
  owner: 'me',
  effectAt: iso(T0),
  touchedAt: iso(T0),
  attempts: 0,
  sentAt: '',
};

describe('nextStep: what a run does with the claim it opened', () => {
  const rows: [string, ClaimRecord, boolean, LifecycleContext, Step][] = [
    ['a new claim is acted on', claim({ owner: 'me' }), true, ctx(), { kind: 'act', reread: false }],
    [
      'its own pending claim is resumed, re-reading',
      claim({ owner: 'me' }),
      false,
      ctx(),
      { kind: 'act', reread: true, write: touch },
    ],
    [
      'a released claim is taken over at once',
      claim({ owner: '' }),
      false,
      ctx(),
      { kind: 'act', reread: true, write: touch },
    ],
    ["another live run's claim is busy", claim(), false, ctx(), { kind: 'skip', reason: 'busy' }],
    [
      "a dead run's claim is taken over",
      claim({ touchedAt: iso(T0 - 60_000) }),
      false,
      ctx(),
      { kind: 'act', reread: true, write: touch },
    ],
    [
      'an unreadable touch time counts as stale',
      claim({ touchedAt: 'x' }),
      false,
      ctx(),
      { kind: 'act', reread: true, write: touch },
    ],
    [
      'an acted claim is reported by anyone',
      claim({ state: 'acted', outcome: 'done' }),
      false,
      ctx(),
      { kind: 'report', write: touch },
    ],
    [
      'a done summary is skipped',
      claim({ key: 'invitation|i|', state: 'done', outcome: 'done', doneAt: iso(T0 - 3_600_000) }),
      false,
      ctx(),
      { kind: 'skip', reason: 'done' },
    ],
    [
      'a removal replayed soon after is skipped',
      claim({ state: 'done', outcome: 'done', doneAt: iso(T0 - 29_999) }),
      false,
      ctx(removal()),
      { kind: 'skip', reason: 'done' },
    ],
    [
      'a guest knocking again is a new removal',
      claim({ state: 'done', outcome: 'done', doneAt: iso(T0 - 30_000) }),
      false,
      ctx(removal()),
      { kind: 'act', reread: true, write: reopen },
    ],
    [
      'a guest back after leaving is a new removal',
      claim({ state: 'done', outcome: 'already-left', doneAt: iso(T0 - 40_000) }),
      false,
      ctx(removal()),
      { kind: 'act', reread: true, write: reopen },
    ],
    [
      'closed because its href showed nobody, a guest waiting there again later is a new removal',
      claim({
        state: 'done',
        outcome: 'skipped',
        detail: STILL_WAITING.detail ?? '',
        doneAt: iso(T0 - 40_000),
      }),
      false,
      ctx(removal()),
      { kind: 'act', reread: true, write: reopen },
    ],
    [
      'skipped for another reason (admitted meanwhile), it stays closed',
      claim({ state: 'done', outcome: 'skipped', detail: 'no longer to remove', doneAt: iso(T0 - 40_000) }),
      false,
      ctx(removal()),
      { kind: 'skip', reason: 'done' },
    ],
    [
      'never re-opened in dry-run',
      claim({ state: 'done', outcome: 'would-do', doneAt: iso(T0 - 40_000) }),
      false,
      ctx({ mode: 'dry-run', ...removal() }),
      { kind: 'skip', reason: 'done' },
    ],
    [
      'not permitted, now permitted: re-opened',
      claim({ state: 'done', outcome: 'not-permitted', doneAt: iso(T0 - 1_000) }),
      false,
      ctx(removal(true)),
      { kind: 'act', reread: true, write: reopen },
    ],
    [
      'not permitted, still not: skipped',
      claim({ state: 'done', outcome: 'not-permitted', doneAt: iso(T0 - 1_000) }),
      false,
      ctx(removal(false)),
      { kind: 'skip', reason: 'done' },
    ],
    [
      'given up (failed): skipped, the alert was sent',
      claim({ state: 'done', outcome: 'failed', doneAt: iso(T0 - 90_000) }),
      false,
      ctx(removal()),
      { kind: 'skip', reason: 'done' },
    ],
  ];
  it.each(rows)('%s', (_name, record, created, context, expected) => {
    expect(nextStep(record, created, context)).toEqual(expected);
  });
});

describe('afterRefusal: a refused removal is tried again, then given up once', () => {
  it('retries later, released, counting attempts, until the bound', () => {
    expect(afterRefusal({ attempts: 0 }, '409 Conflict', T0, 3)).toEqual({
      kind: 'retry-later',
      write: { owner: '', attempts: 1, detail: '409 Conflict', touchedAt: iso(T0) },
    });
    expect(afterRefusal({ attempts: 1 }, '409', T0, 3)).toMatchObject({ kind: 'retry-later' });
    expect(afterRefusal({ attempts: 2 }, '409', T0, 3)).toEqual({ kind: 'give-up' });
  });
});
