import { RestError } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { noticeReference } from '../../shared/chat/reference.js';
import { fresh } from '../../shared/gatekeeper/claim-lifecycle.js';
import type { ClaimReport } from '../../shared/gatekeeper/conclude.js';
import { EffectRunner, type EffectSpec, type Refused } from '../../shared/gatekeeper/effect-runner.js';
import type { Logger } from '../../shared/gatekeeper/logger.js';
import type { ActionOutcome } from '../../shared/gatekeeper/outcome.js';
import type { ClaimFields } from '../../shared/gatekeeper/ports.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import { MemoryAudit, MemoryClaimStore, MemoryOutbox } from '../helpers/memory-ports.js';

const outage = () => new RestError('storage is unavailable', { statusCode: 503 });
const refusedByStore = () => new RestError('PropertyValueTooLarge', { statusCode: 400 });

function harness(owner = 'run-1') {
  let now = Date.parse('2026-06-01T12:00:00Z');
  const claims = new MemoryClaimStore();
  const audit = new MemoryAudit();
  const outbox = new MemoryOutbox();
  const telemetry = new MemoryTelemetry();
  const logs: string[] = [];
  const log: Logger = {
    info: (m) => logs.push(m),
    warn: (m) => logs.push(m),
    error: (m) => logs.push(m),
  };
  const runner = (who = owner) =>
    new EffectRunner({
      claims,
      audit,
      outbox,
      telemetry,
      log,
      mode: 'enforce',
      now: () => new Date(now),
      owner: who,
      staleAfterMs: 60_000,
      maxAttempts: 3,
    });
  return { claims, audit, outbox, telemetry, logs, runner, advance: (ms: number) => (now += ms) };
}

const report: ClaimReport = {
  subject: 'lobby',
  participant: 'https://pool/participants/1',
  meeting: 'https://pool/conversations/1',
  facts: { anonymous: true, name: 'Guest' },
  decision: { action: 'eject', rule: 'anonymous', reason: 'anonymous guest', notify: true },
  notify: true,
};

/** A removal whose act counts how often the server was asked, and what it was told to re-read. */
function removalSpec(outcomes: (ActionOutcome | Refused | Error)[] = [{ status: 'done' }]) {
  const calls: boolean[] = [];
  const spec: EffectSpec = {
    key: 'eject|https://pool/participants/1',
    report,
    sideEffect: true,
    removal: { offersRemoval: true, reknockAfterMs: 30_000 },
    act: async (reread) => {
      calls.push(reread);
      const next = outcomes.length > 1 ? outcomes.shift() : outcomes[0];
      if (next instanceof Error) throw next;
      return next ?? { status: 'done' };
    },
  };
  return { spec, calls };
}

describe('EffectRunner: every effect once, always reported (in-memory ports)', () => {
  it('acts, records, audits, queues one notice and completes', async () => {
    const h = harness();
    const { spec, calls } = removalSpec();
    expect(await h.runner().run(spec)).toBe('concluded');
    expect(calls).toEqual([false]);
    expect([...h.audit.rows.values()].map((r) => r.outcome)).toEqual(['done']);
    expect(h.outbox.notices.size).toBe(1);
    // The audit row carries the reference the notice shows, so a reader can find it.
    const [notice] = [...h.outbox.notices.values()];
    expect([...h.audit.rows.values()][0]?.ref).toBe(noticeReference(notice?.id ?? ''));
    expect([...h.claims.rows.values()][0]).toMatchObject({ state: 'done', outcome: 'done' });
    // A replay is a no-op.
    expect(await h.runner().run(spec)).toBe('skipped');
    expect(calls).toHaveLength(1);
  });

  // Each step after the claim fails once with an outage; the same run's retry finishes without acting twice.
  const failures: [string, (h: ReturnType<typeof harness>) => void][] = [
    [
      'recording the action',
      (h) => h.claims.failNext.push({ op: 'write', error: outage(), when: (c) => c?.state === 'acted' }),
    ],
    ['the audit row', (h) => h.audit.failNext.push(outage())],
    ['queueing the notice', (h) => h.outbox.failNext.push(outage())],
    [
      'completing the claim',
      (h) => h.claims.failNext.push({ op: 'write', error: outage(), when: (c) => c?.state === 'done' }),
    ],
  ];
  it.each(failures)('an outage at %s: the retry reports, never acts again', async (_step, inject) => {
    const h = harness();
    const runner = h.runner();
    const { spec, calls } = removalSpec();
    inject(h);
    await expect(runner.run(spec)).rejects.toThrow(/unavailable/);
    expect(await runner.run(spec)).toBe('concluded');
    expect(calls.filter((reread) => !reread)).toHaveLength(1);
    expect(calls).toHaveLength(1);
    expect(h.audit.rows.size).toBe(1);
    expect(h.outbox.notices.size).toBe(1);
    expect([...h.claims.rows.values()][0]).toMatchObject({ state: 'done', outcome: 'done' });
  });

  it('an outage while acting releases the claim; any run then takes over, re-reading first', async () => {
    const h = harness();
    const { spec, calls } = removalSpec([outage(), { status: 'done' }]);
    await expect(h.runner('run-1').run(spec)).rejects.toThrow(/unavailable/);
    expect([...h.claims.rows.values()][0]).toMatchObject({ state: 'pending', owner: '' });
    expect(await h.runner('run-2').run(spec)).toBe('concluded');
    expect(calls).toEqual([false, true]);
  });

  it('a failed release propagates, and the claim stays with its run, whose retry resumes it', async () => {
    const h = harness();
    const { spec, calls } = removalSpec([new Error('socket hang up'), { status: 'done' }]);
    h.claims.failNext.push({ op: 'write', error: outage(), when: (c) => c?.owner === '' });
    await expect(h.runner('run-1').run(spec)).rejects.toThrow(/unavailable/);
    expect([...h.claims.rows.values()][0]).toMatchObject({ state: 'pending', owner: 'run-1' });
    expect(await h.runner('run-2').run(spec)).toBe('busy');
    expect(await h.runner('run-1').run(spec)).toBe('concluded');
    expect(calls).toEqual([false, true]);
  });

  it("a dead run's pending claim is busy until stale, then taken over", async () => {
    const h = harness();
    const { spec } = removalSpec();
    await h.claims.open(spec.key, {
      state: 'pending',
      owner: 'dead',
      effectAt: '2026-06-01T11:59:50.000Z',
      touchedAt: '2026-06-01T11:59:50.000Z',
      attempts: 0,
      report: JSON.stringify(report),
    });
    expect(await h.runner().run(spec)).toBe('busy');
    h.advance(60_000);
    expect(await h.runner().run(spec)).toBe('concluded');
    // The effect keeps the time it began: its audit row and notice id do not change with the take-over.
    expect([...h.audit.rows.values()][0]?.at.toISOString()).toBe('2026-06-01T11:59:50.000Z');
  });

  it('an acted claim is reported by another run with what the first recorded, without acting', async () => {
    const h = harness();
    const first = removalSpec();
    h.audit.failNext.push(outage());
    await expect(h.runner('run-1').run(first.spec)).rejects.toThrow();
    const second = removalSpec();
    expect(await h.runner('run-2').run(second.spec)).toBe('concluded');
    expect(second.calls).toHaveLength(0);
    expect([...h.audit.rows.values()].map((r) => r.outcome)).toEqual(['done']);
  });

  it('a refused removal is tried again later, then given up with one alert-worthy notice', async () => {
    const h = harness();
    const refused: Refused = { status: 'failed', detail: '409 Conflict', refused: true };
    const { spec, calls } = removalSpec([refused]);
    expect(await h.runner().run(spec)).toBe('deferred');
    expect(h.audit.rows.size).toBe(0);
    expect(await h.runner().run(spec)).toBe('deferred');
    expect(await h.runner().run(spec)).toBe('concluded');
    expect(calls).toHaveLength(3);
    const [row] = [...h.audit.rows.values()];
    expect(row).toMatchObject({ outcome: 'failed' });
    expect(row?.detail).toMatch(/gave up after 3 attempts: 409 Conflict/);
    expect([...h.outbox.notices.values()]).toMatchObject([{ outcome: { status: 'failed' } }]);
    expect(await h.runner().run(spec)).toBe('skipped');
  });

  it('a step the store refuses for this item alone is logged, counted and skipped; the rest completes', async () => {
    const h = harness();
    const { spec } = removalSpec();
    h.audit.failNext.push(refusedByStore());
    expect(await h.runner().run(spec)).toBe('concluded');
    expect(h.outbox.notices.size).toBe(1);
    expect(h.telemetry.events.map((e) => e.name)).toContain('ConcludeStepRejected');
    expect([...h.claims.rows.values()][0]).toMatchObject({ state: 'done' });
  });

  it('a replayed event long after a removal re-opens nothing unless the server shows the guest back', async () => {
    const h = harness();
    const { spec, calls } = removalSpec();
    expect(await h.runner().run(spec)).toBe('concluded');
    h.advance(31_000);
    let back = false;
    const replay = { ...spec, confirmReopen: async () => back };
    expect(await h.runner().run(replay)).toBe('skipped');
    expect(h.audit.rows.size).toBe(1);
    back = true;
    expect(await h.runner().run(replay)).toBe('concluded');
    expect(h.audit.rows.size).toBe(2);
    expect(calls).toEqual([false, true]);
  });

  it('two events for the same effect in one process: the second waits for the first', async () => {
    const h = harness();
    const runner = h.runner();
    const { spec, calls } = removalSpec();
    const [a, b] = await Promise.all([runner.run(spec), runner.run(spec)]);
    expect([a, b].sort()).toEqual(['busy', 'concluded']);
    expect(calls).toHaveLength(1);
  });
});

/** A run that stalls past the take-over time while acting: another run takes its claim over meanwhile. */
describe('EffectRunner: a claim taken over while its run was still acting', () => {
  it('the stalled run sends nothing once its claim changed hands: the request goes out once', async () => {
    const h = harness();
    const sent: string[] = [];
    const removal = (who: string, stall: () => Promise<void>): EffectSpec => ({
      ...removalSpec().spec,
      act: async (_reread, _record, request) => {
        await stall();
        await request.sending();
        sent.push(who);
        return { status: 'done' };
      },
    });
    // Run 1 stalls before its request; run 2 finds the claim stale and does the removal in the meantime.
    const first = h.runner('run-1').run(
      removal('run-1', async () => {
        h.advance(60_000);
        expect(await h.runner('run-2').run(removal('run-2', async () => {}))).toBe('concluded');
      }),
    );
    expect(await first).toBe('busy');
    expect(sent).toEqual(['run-2']);
    expect(h.audit.rows.size).toBe(1);
    expect(h.outbox.notices.size).toBe(1);
    expect([...h.claims.rows.values()][0]).toMatchObject({ state: 'done', owner: 'run-2' });
  });

  it('a run whose effect finished after its claim changed hands leaves the reporting to the new holder', async () => {
    const h = harness();
    const { spec } = removalSpec();
    const stalled: EffectSpec = {
      ...spec,
      act: async () => {
        h.advance(60_000);
        expect(await h.runner('run-2').run(spec)).toBe('concluded');
        return { status: 'done' };
      },
    };
    expect(await h.runner('run-1').run(stalled)).toBe('busy');
    // One audit row and one notice: run 1 recorded nothing over run 2's conclusion.
    expect([...h.audit.rows.values()].map((row) => row.outcome)).toEqual(['done']);
    expect(h.outbox.notices.size).toBe(1);
    expect([...h.claims.rows.values()][0]).toMatchObject({ state: 'done', owner: 'run-2' });
  });
});

/** A removal whose claim is created just before its request: the claim says "sent" from the start. */
describe('EffectRunner: a claim created right before its request (sendsOnOpen)', () => {
  /** The changes each claim write made, in order. */
  function countingWrites(h: ReturnType<typeof harness>) {
    const writes: Partial<ClaimFields>[] = [];
    const write = h.claims.write.bind(h.claims);
    h.claims.write = (record, changes) => {
      writes.push(changes);
      return write(record, changes);
    };
    return writes;
  }
  const key = 'eject|https://pool/participants/1';

  it('a new claim carries sentAt, so the request goes out without a write before it', async () => {
    const h = harness();
    const writes = countingWrites(h);
    let atSending: string | undefined;
    const spec: EffectSpec = {
      ...removalSpec().spec,
      sendsOnOpen: true,
      act: async (_reread, record, request) => {
        await request.sending();
        atSending = h.claims.rows.get(key)?.sentAt;
        expect(record.sentAt).toBe(record.effectAt);
        return { status: 'done' };
      },
    };
    expect(await h.runner().run(spec)).toBe('concluded');
    expect(atSending).toBe('2026-06-01T12:00:00.000Z');
    expect(writes.map((changes) => changes.state)).toEqual(['acted', 'done']);
  });

  it('a claim that existed already is marked by a write of its own, just before the request', async () => {
    const h = harness();
    await h.claims.open(key, { ...fresh({ owner: '', now: Date.parse('2026-06-01T11:59:00Z') }) });
    const writes = countingWrites(h);
    const spec: EffectSpec = {
      ...removalSpec().spec,
      sendsOnOpen: true,
      act: async (_reread, _record, request) => {
        await request.sending();
        return { status: 'done' };
      },
    };
    expect(await h.runner().run(spec)).toBe('concluded');
    expect(writes[1]).toEqual({ sentAt: '2026-06-01T12:00:00.000Z', touchedAt: '2026-06-01T12:00:00.000Z' });
    expect(writes).toHaveLength(4);
  });

  it.each([
    [
      'an outcome without a request (the guest left meanwhile)',
      async () => ({ status: 'already-left' as const }),
    ],
    [
      'an outage before the request',
      async () => {
        throw outage();
      },
    ],
  ])('%s: the claim does not say a request went out', async (_, act) => {
    const h = harness();
    const spec: EffectSpec = { ...removalSpec().spec, sendsOnOpen: true, act };
    await h
      .runner()
      .run(spec)
      .catch(() => undefined);
    expect(h.claims.rows.get(key)?.sentAt).toBe('');
  });

  it('opens the claim through openClaim when given (a batch opens its claims together)', async () => {
    const h = harness();
    const spec: EffectSpec = {
      ...removalSpec().spec,
      openClaim: (claimKey, fields) =>
        h.claims
          .openMany([{ key: claimKey, fresh: fields }])
          .then(([opened]) => (opened?.status === 'fulfilled' ? opened.value : never())),
    };
    expect(await h.runner().run(spec)).toBe('concluded');
    expect(h.claims.openedTogether).toEqual([[key]]);
  });
});

function never(): never {
  throw new Error('unreachable');
}
