/**
 * Attack matrix, retention (#6): personal data the gatekeeper stores — notices with phone numbers and first
 * messages, claims with sender facts, audit rows — is deleted by the daily timer job once past its period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRetention } from '../../shared/app/jobs.js';
import type { Notice } from '../../shared/chat/notice.js';
import { parseSettings, SettingsError } from '../../shared/config.js';
import { completed, fresh } from '../../shared/gatekeeper/claim-lifecycle.js';
import { startWorld, type World } from '../helpers/gatekeeper-world.js';

const DAY = 86_400_000;
const now = new Date();
const daysAgo = (days: number) => new Date(now.getTime() - days * DAY);

let world: World;
beforeAll(async () => {
  world = await startWorld({ settings: { OUTBOX_RETENTION_DAYS: '7', AUDIT_RETENTION_DAYS: '90' } });
});
afterAll(() => world?.close());

const notice = (id: string, at: Date): Notice => ({
  id,
  kind: 'invitation',
  at: at.toISOString(),
  mode: 'enforce',
  sender: { name: 'Caller', uri: 'sip:caller@fabrikam.com', workPhoneNumber: 'tel:+14255550100' },
  invitation: { modality: 'messaging', firstMessage: 'my number is +1 425 555 0100' },
  decision: { action: 'summarize', rule: 'default', reason: 'no rule matched' },
  outcome: { status: 'done' },
});

async function claim(key: string, at: Date, done: boolean) {
  const { record } = await world.rt.claims.open(key, fresh({ owner: 'test', now: at.getTime() }, '{}'));
  if (done) await world.rt.claims.write(record, completed('done', at.getTime()));
}

describe('purgeExpired (retention)', () => {
  it('deletes finished notices and claims after OUTBOX_RETENTION_DAYS, audit rows after AUDIT_RETENTION_DAYS', async () => {
    const { outbox, audit, claims, sinks } = world.rt;
    await outbox.enqueue(notice('old-delivered', daysAgo(10)), daysAgo(10));
    await outbox.drain({ sinks, now: daysAgo(10) });
    await outbox.enqueue(notice('recent-delivered', daysAgo(2)), daysAgo(2));
    await outbox.drain({ sinks, now: daysAgo(2) });
    // Never delivered (no sink drained it yet): kept however old, or the summary would be lost.
    await outbox.enqueue(notice('old-pending', daysAgo(10)), daysAgo(10));

    await claim('eject|old-done', daysAgo(10), true);
    await claim('eject|recent-done', daysAgo(2), true);
    await claim('eject|old-pending', daysAgo(10), false);

    const entry = { subject: 'lobby' as const, facts: { name: 'Guest' }, rule: 'r', decision: 'eject' };
    await audit.record({ ...entry, at: daysAgo(100), key: 'a-old', mode: 'enforce', outcome: 'done' });
    await audit.record({ ...entry, at: daysAgo(10), key: 'a-recent', mode: 'enforce', outcome: 'done' });

    expect(await runRetention(world.rt, now)).toEqual({ notices: 1, claims: 1, auditRows: 1 });

    expect(await outbox.get('old-delivered')).toBeUndefined();
    expect(await outbox.get('recent-delivered')).toMatchObject({ state: 'done' });
    expect(await outbox.get('old-pending')).toMatchObject({ state: 'pending' });
    expect(await claims.read('eject|old-done')).toBeUndefined();
    expect(await claims.read('eject|recent-done')).toMatchObject({ state: 'done' });
    expect(await claims.read('eject|old-pending')).toMatchObject({ state: 'pending' });
    expect(await audit.day(daysAgo(100).toISOString().slice(0, 10))).toEqual([]);
    expect(await audit.day(daysAgo(10).toISOString().slice(0, 10))).toHaveLength(1);
    // A second run finds nothing more to delete.
    expect(await runRetention(world.rt, now)).toEqual({ notices: 0, claims: 0, auditRows: 0 });
  });

  it('defaults to 7 and 90 days and refuses periods that are not whole days', () => {
    expect(parseSettings({})).toMatchObject({ OUTBOX_RETENTION_DAYS: 7, AUDIT_RETENTION_DAYS: 90 });
    for (const value of ['0', '-1', '1.5', 'forever'])
      expect(() => parseSettings({ AUDIT_RETENTION_DAYS: value })).toThrow(SettingsError);
  });
});
