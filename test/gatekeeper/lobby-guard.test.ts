import { describe, expect, it } from 'vitest';
import { fresh } from '../../shared/gatekeeper/claim-lifecycle.js';
import { effectKeys } from '../../shared/gatekeeper/effect-keys.js';
import type { ClaimRecord, GatekeeperUcwa } from '../../shared/gatekeeper/ports.js';
import { APP, fakeUcwa, guest, guestHref, lobbyHarness } from '../helpers/lobby-harness.js';

/** Run 1 sends the removal and dies before the answer: its guard never returns, its claim stays pending. */
async function removalSentThenKilled(h: ReturnType<typeof lobbyHarness>) {
  const href = guestHref(APP);
  h.server.present.set(href, guest(href));
  let sent!: () => void;
  const requestSent = new Promise<void>((resolve) => {
    sent = resolve;
  });
  const dying: GatekeeperUcwa = {
    ...h.server.ucwa,
    removeParticipants: async (items) => {
      await h.server.ucwa.removeParticipants(items);
      sent();
      return new Promise(() => {});
    },
  };
  void h.guardFor('run-1', dying).guard(guest(href), href, `${APP}/conversations/C1`, 0);
  await requestSent;
  const record = (await h.claims.read(effectKeys.removal(href))) as ClaimRecord;
  expect(record.state).toBe('pending');
  return { href, record };
}

describe('a removal whose request went out before the process died', () => {
  it('is reported as a removal when its application has been re-created since', async () => {
    const h = lobbyHarness();
    const { record } = await removalSentThenKilled(h);
    h.advance(61_000);
    // The restarted process holds a new application: the old participant href leads nowhere.
    const next = fakeUcwa(`${APP}-new`);
    const report = JSON.parse(record.report ?? '{}');
    await h.guardFor('run-2', next.ucwa).resume(record, report, 0);

    const rows = [...h.audit.rows.values()];
    expect(rows.map((row) => row.outcome)).toEqual(['done']);
    expect(rows[0]?.detail).toMatch(/requested before a restart/);
    expect(h.outbox.notices.size).toBe(1);
    expect(next.removals).toEqual([]);
  });

  it('is reported as removed, not as "already left", when the participant is gone', async () => {
    const h = lobbyHarness();
    const { record } = await removalSentThenKilled(h);
    h.advance(61_000);
    await h.guardFor('run-2').resume(record, JSON.parse(record.report ?? '{}'), 0);

    const rows = [...h.audit.rows.values()];
    expect(rows.map((row) => [row.outcome, row.detail])).toEqual([
      ['done', 'removed: the request went out before a restart, and the participant is gone'],
    ]);
    expect(h.server.removals).toHaveLength(1);
  });

  it('a claim whose request never went out is closed quietly under a re-created application', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    const report = {
      subject: 'lobby',
      participant: href,
      meeting: `${APP}/conversations/C1`,
      facts: { anonymous: true },
      decision: { action: 'eject', rule: 'anonymous', reason: 'anonymous guest', notify: true },
      notify: true,
    };
    // Run 1 opened the claim and died before its request went out.
    await h.claims.open(effectKeys.removal(href), fresh({ owner: 'run-1', now: 0 }, JSON.stringify(report)));
    const record = (await h.claims.read(effectKeys.removal(href))) as ClaimRecord;
    h.advance(61_000);
    await h
      .guardFor('run-2', fakeUcwa(`${APP}-new`).ucwa)
      .resume(record, JSON.parse(record.report ?? '{}'), 0);

    expect([...h.audit.rows.values()].map((row) => row.outcome)).toEqual(['skipped']);
    expect(h.outbox.notices.size).toBe(0);
    expect(h.server.removals).toEqual([]);
  });
});
