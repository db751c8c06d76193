import { afterEach, describe, expect, it } from 'vitest';
import type { FaultProxy, ProxyFaultSpec } from '../../dev/fault-proxy/index.js';
import type { Meeting } from '../../dev/ucwa-sim/index.js';
import { runSweep } from '../../shared/app/jobs.js';
import { MEETING_URI, startWorld, type World, type WorldOptions } from '../helpers/gatekeeper-world.js';

/**
 * Nothing the gatekeeper took on may be lost or done twice: storage failing between the claim and the
 * report, oversized or odd payloads, a refused eject, a stalled chat webhook.
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const anonymousGuest = (n: number) => ({
  anonymous: true,
  name: `Anonymous ${n}`,
  sourceNetwork: 'PublicCloud' as const,
  uri: `sip:anon${n}@public.example`,
});
const colleague = (name: string) => ({
  anonymous: false,
  name,
  sourceNetwork: 'SameEnterprise' as const,
  uri: `sip:${name.toLowerCase().replace(/\W+/g, '.')}@contoso.com`,
});

/** The Azure SDK tries a storage call 1 + 3 times: this many 503s in a row outlast its own retries. */
const OUTLASTS_SDK_RETRIES = 4;
const WRITES = ['PUT', 'POST', 'PATCH', 'MERGE', 'DELETE'];

function tableProxy(w: World): FaultProxy {
  if (!w.storage) throw new Error('start the world with storageProxies: true');
  return w.storage.table;
}

/**
 * 503 ServerBusy on the next writes to one of the world's tables (entities, not the table's creation), until
 * the SDK gives up. `Retry-After: 0` lets the SDK retry at once instead of backing off for seconds.
 */
function storageBusy(w: World, table: string, phase: ProxyFaultSpec['phase'] = 'before') {
  return tableProxy(w).inject({
    methods: WRITES,
    path: new RegExp(`/${w.namespace}${table}(\\(|\\?|$)`),
    status: 503,
    retryAfterMs: 0,
    times: OUTLASTS_SDK_RETRIES,
    phase,
  });
}

function ejectsOf(w: World, uri: string) {
  return w.sim.actions.filter((a) => (a.kind === 'eject' || a.kind === 'reject') && a.participantUri === uri);
}

async function auditRows(w: World, subject: 'invitation' | 'lobby') {
  const rows = await w.auditRows();
  return rows.filter((row) => row.subject === subject);
}

function settled(outcome: unknown): string {
  return outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : JSON.stringify(outcome);
}

/** What the runtime warned about, for failure messages. */
function warnings(w: World): string {
  const lines = w.logs.filter((entry) => entry.level !== 'info');
  return (
    lines.map((entry) => `${entry.message} (${String(entry.properties?.error ?? '')})`).join('; ') || 'none'
  );
}

/** A meeting the gatekeeper guards (joined through WATCHED_MEETINGS); the account is a leader. */
async function guardedMeeting(options: WorldOptions = {}): Promise<{ w: World; meeting: Meeting }> {
  world = await startWorld({ ...options, settings: { WATCHED_MEETINGS: MEETING_URI, ...options.settings } });
  const meeting = world.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, subject: 'Quarterly review' });
  return { w: world, meeting };
}

describe('the gatekeeper never loses what it took on', () => {
  it.each([
    ['the audit write', 'audit'],
    ['the outbox enqueue', 'outbox'],
  ])(
    '1. storage busy on %s after the claim: the summary still ends in one audit row and one message per chat',
    async (_, table) => {
      world = await startWorld({ storageProxies: true });
      const w = world;
      const busy = storageBusy(w, table);
      const sent = w.sim.scenario
        .whenAvailable()
        .then(() => w.sim.scenario.incomingIm(anonymousGuest(1), 'Hello, buy now'));
      await w.watchUntil(() => w.received('teams').length >= 1 && w.received('slack').length >= 1, 6_000);
      await sent;
      expect(busy.hits).toBe(OUTLASTS_SDK_RETRIES);
      expect(w.received('teams'), `warnings: ${warnings(w)}`).toHaveLength(1);
      expect(w.received('slack')).toHaveLength(1);
      expect(await auditRows(w, 'invitation')).toHaveLength(1);
    },
  );

  it('1. storage busy on recording the action after a successful eject: reported once, ejected once', async () => {
    const { w, meeting } = await guardedMeeting({ storageProxies: true });
    // The eject took effect on the server; the next idempotency write is the one recording it.
    let busy: { readonly hits: number } | undefined;
    w.sim.on('action', (action) => {
      if (action.kind === 'reject') busy ??= storageBusy(w, 'idempotency');
    });
    const knocked = meeting.whenJoined().then(() => meeting.knock(anonymousGuest(1)));
    await w.watchUntil(() => w.received('teams').length >= 1 && w.received('slack').length >= 1, 6_000);
    await knocked;
    expect(busy?.hits).toBe(OUTLASTS_SDK_RETRIES);
    expect(ejectsOf(w, 'sip:anon1@public.example')).toHaveLength(1);
    expect(await auditRows(w, 'lobby'), `warnings: ${warnings(w)}`).toHaveLength(1);
    expect(w.received('teams')).toHaveLength(1);
    expect(w.received('slack')).toHaveLength(1);
    expect(w.telemetry.events.filter((e) => e.name === 'ParticipantEjected')).toHaveLength(1);
  });

  it('2. an IM whose sender name and subject are 4,000 control characters each reaches chat once, truncated', async () => {
    world = await startWorld();
    const w = world;
    const noise = Array.from({ length: 4_000 }, (_, i) => String.fromCharCode(1 + (i % 31))).join('');
    const sent = w.sim.scenario.whenAvailable().then(() =>
      w.sim.scenario.incomingIm({ ...anonymousGuest(1), name: noise }, 'oversized hello', {
        subject: noise,
      }),
    );
    const outcome = await w
      .watchUntil(() => w.received('teams').length >= 1 && w.received('slack').length >= 1, 6_000)
      .catch((error: unknown) => error);
    await sent;
    expect(w.received('teams'), `watch: ${settled(outcome)}; warnings: ${warnings(w)}`).toHaveLength(1);
    expect(w.received('slack')).toHaveLength(1);
    const teams = JSON.stringify(w.received('teams')[0]);
    expect(teams).toContain('oversized hello');
    // Name and subject in full would need 8,000 characters (far more once escaped).
    expect(teams.length).toBeLessThan(8_000);
  });

  it.each([409, 410, 412])(
    '3. a %i on the reject POST does not leave the anonymous guest in the lobby',
    async (status) => {
      const { w, meeting } = await guardedMeeting();
      // Matches the reject (a lobby guest's removal) as a request of its own and as a part of a UCWA batch.
      const refused = w.sim.faults.inject({ method: 'POST', path: /\/reject$/, status });
      const knocked = meeting.whenJoined().then(() => meeting.knock(anonymousGuest(1)));
      await w.watchUntil(
        () =>
          refused.hits >= 1 &&
          (ejectsOf(w, 'sip:anon1@public.example').length >= 1 || w.received('teams').length >= 1),
        4_000,
      );
      await knocked;
      expect(refused.hits).toBe(1);
      // The safety net runs anyway: it must finish the job if the watch did not, and never eject twice.
      await runSweep(w.rt);
      const audited = (await auditRows(w, 'lobby')).map((row) => `${row.outcome}: ${row.detail}`);
      expect(ejectsOf(w, 'sip:anon1@public.example'), `audit: ${audited.join('; ')}`).toHaveLength(1);
      expect(meeting.participants().map((p) => p.facts.uri)).not.toContain('sip:anon1@public.example');
    },
  );

  it('4. a stalled chat webhook does not hold up the event channel', async () => {
    const { w, meeting } = await guardedMeeting();
    w.chat.stall();
    // Requests the simulator had seen when the batch with the guests was being handled (its first eject).
    let handlingAt: number | undefined;
    w.sim.on('action', (action) => {
      if (action.kind === 'reject') handlingAt ??= w.sim.requests.length;
    });
    let finished = false;
    const watch = w.watchUntil(() => finished, 30_000).catch((error: unknown) => error);
    try {
      await meeting.whenJoined();
      meeting.knock(anonymousGuest(1));
      meeting.knock(anonymousGuest(2));
      await expect.poll(() => handlingAt, { timeout: 4_000 }).toBeDefined();
      const nextPoll = () =>
        w.sim.requests
          .slice(handlingAt)
          .some((request) => request.method === 'GET' && /\/events\?/.test(request.path));
      await expect.poll(nextPoll, { timeout: 4_000 }).toBe(true);
      expect(ejectsOf(w, 'sip:anon1@public.example')).toHaveLength(1);
      expect(ejectsOf(w, 'sip:anon2@public.example')).toHaveLength(1);
      expect(w.chat.received).toHaveLength(0); // the notices' posts are still stalled
    } finally {
      finished = true;
      w.chat.up();
      await watch;
    }
  });

  /** [what, how the odd event arrives, rel of the embedded resource, the odd values]. */
  const oddities: [string, 'im' | 'knock', string, Record<string, unknown>][] = [
    ['an embedded invitation with subject null', 'im', 'messagingInvitation', { subject: null }],
    ["an embedded lobby participant's name null", 'knock', 'participant', { name: null }],
    ["a conversation's participantCount as a string", 'im', 'conversation', { participantCount: '2' }],
    ['a date in an unknown format', 'im', 'conversation', { created: 'Tuesday, 3 PM' }],
  ];

  it.each(oddities)(
    '5. %s does not stall the channel: the rest of its batch is handled and the channel moves on',
    async (_, where, rel, odd) => {
      const { w, meeting } = await guardedMeeting();
      // Sent only once the odd batch's eject happened, so it comes in a later batch.
      let afterwards = false;
      w.sim.on('action', (action) => {
        if (action.kind !== 'reject' || afterwards) return;
        afterwards = true;
        w.sim.scenario.incomingIm(colleague('Later Colleague'), 'after the odd one');
      });
      const scripted = meeting.whenJoined().then(() => {
        // One turn, one batch: the odd event and an anonymous guest knocking.
        if (where === 'im')
          w.sim.scenario.incomingIm(colleague('Odd Colleague'), 'odd hello', { subject: 'Odd' });
        else meeting.knock(colleague('Odd Colleague'), { embedParticipant: true });
        meeting.knock(anonymousGuest(1));
        let edited = 0;
        w.sim.scenario.editPendingEvents((event, embedded) => {
          if (event.rel !== rel || !embedded) return;
          Object.assign(embedded, odd);
          edited++;
        });
        return edited;
      });
      const outcome = await w
        .watchUntil(() => JSON.stringify(w.received('teams')).includes('Later Colleague'), 5_000)
        .catch((error: unknown) => error);
      expect(await scripted).toBeGreaterThanOrEqual(1);
      expect(ejectsOf(w, 'sip:anon1@public.example'), `watch: ${settled(outcome)}`).toHaveLength(1);
      // The later batch was handled: its sender's summary went out (the first message may be kept private).
      expect(JSON.stringify(w.received('teams'))).toContain('Later Colleague');
    },
  );

  it('6. an audit write that took effect but whose answer was lost leaves one audit row for the ejection', async () => {
    const { w, meeting } = await guardedMeeting({ storageProxies: true });
    const lost = storageBusy(w, 'audit', 'after');
    const knocked = meeting.whenJoined().then(() => meeting.knock(anonymousGuest(1)));
    await w.watchUntil(
      () =>
        lost.hits >= OUTLASTS_SDK_RETRIES &&
        w.received('teams').length >= 1 &&
        w.received('slack').length >= 1,
      6_000,
    );
    await knocked;
    expect(lost.hits).toBe(OUTLASTS_SDK_RETRIES);
    expect(ejectsOf(w, 'sip:anon1@public.example')).toHaveLength(1);
    const rows = await auditRows(w, 'lobby');
    expect(rows.map((row) => [row.decision, row.outcome])).toEqual([['eject', 'done']]);
  });
});
