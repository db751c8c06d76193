/**
 * The gatekeeper against a simulator that behaves the way the UCWA reference says a server does (issue 11):
 * its own invitations, the lobby verbs, keep-alive, refusals, rediscovery. Each test fails on a gatekeeper
 * that reads the protocol the way the simulator used to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../dev/ucwa-sim/index.js';
import { watchDeps } from '../../shared/app/jobs.js';
import { type WatchDeps, type WatchResult, watchEvents } from '../../shared/gatekeeper/watch-events.js';
import { MEETING_URI, startWorld, type World } from '../helpers/gatekeeper-world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const colleague = {
  anonymous: false,
  name: 'Alice Colleague',
  sourceNetwork: 'SameEnterprise' as const,
  uri: 'sip:alice@contoso.com',
};

/** One watch run with test-sized keep-alive and re-creation timing, until `done()` holds (else it throws). */
async function watchTuned(
  w: World,
  tuning: Pick<WatchDeps, 'keepaliveMs' | 'recreation'>,
  done: () => boolean,
  { alerts = [], maxMs = 8_000 }: { alerts?: unknown[]; maxMs?: number } = {},
): Promise<WatchResult> {
  const controller = new AbortController();
  const started = performance.now();
  let held = false;
  const timer = setInterval(() => {
    held ||= done();
    if (held || performance.now() - started > maxMs) controller.abort();
  }, 20);
  try {
    const { rt } = w;
    const result = await watchEvents(
      { ...watchDeps(rt), alert: (error) => alerts.push(error), ...tuning },
      rt.now().getTime() + maxMs + 1_000,
      controller.signal,
    );
    if (!held && !done()) throw new Error(`the condition did not hold within ${maxMs} ms`);
    return result;
  } finally {
    clearInterval(timer);
  }
}

/** P-GETs that arrived after `at`. */
function pollsAfter(w: World, at: number): number {
  return w.sim.requests.filter((r) => r.path.includes('/events') && r.at > at).length;
}

describe('its own invitations', () => {
  it('never summarises or reads them, even when the server sends them link-only', async () => {
    world = await startWorld({
      sim: { outgoingInvitationEvents: 'link' },
      settings: { WATCHED_MEETINGS: MEETING_URI, CHAT_UCWA_IM_TO: 'sip:admin@contoso.com' },
    });
    const w = world;
    const meeting = w.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
    const script = meeting.whenJoined().then(() => w.sim.scenario.incomingIm(colleague, 'hello'));
    let startedAt = Number.POSITIVE_INFINITY;
    await w.watchUntil(() => {
      const started = w.sim.actions.find((a) => a.kind === 'startMessaging');
      if (started) startedAt = started.at;
      return pollsAfter(w, startedAt) >= 3 && w.sim.scenario.pendingEvents().length === 0;
    });
    await script;
    // One summary (the IM), one instant-message copy of it: the copy's own invitation started no loop.
    expect(w.received('teams')).toHaveLength(1);
    expect(w.sim.actions.filter((a) => a.kind === 'startMessaging')).toHaveLength(1);
    // Neither the joinOnlineMeeting nor the startMessaging invitation was read back.
    const reads = w.sim.requests.filter((r) => r.method === 'GET' && /Invitations\/[^/?]+$/.test(r.path));
    expect(reads).toEqual([]);
    expect(w.telemetry.events.filter((e) => e.name === 'EventRejected')).toEqual([]);
  });
});

describe('a 403 about one item', () => {
  const declineIms = JSON.stringify({
    rules: [{ name: 'decline-ims', on: 'invitation', when: { modality: 'messaging' }, action: 'decline' }],
  });

  it('on decline is final: recorded as not permitted, said once, never retried', async () => {
    world = await startWorld({ settings: { GATEKEEPER_POLICY: declineIms } });
    const w = world;
    w.sim.faults.inject({ method: 'POST', path: '/decline', status: 403, times: Number.POSITIVE_INFINITY });
    const sent = w.sim.scenario.whenAvailable().then(() => w.sim.scenario.incomingIm(colleague, 'hi'));
    await w.watchUntil(() => w.received('teams').length >= 1 && w.sim.scenario.pendingEvents().length === 0);
    await sent;
    const declines = w.sim.requests.filter((r) => r.path.endsWith('/decline'));
    expect(declines.map((r) => r.status)).toEqual([403]);
    const rows = await w.auditRows();
    expect(rows.map((r) => [r.decision, r.outcome])).toEqual([['decline', 'not-permitted']]);
    expect(String(rows[0]?.detail)).toMatch(/refused by the server \(403/);
    expect(w.received('teams')).toHaveLength(1);
    expect(w.logs.filter((l) => l.message.includes('re-reading'))).toEqual([]);
  });

  it('on reading a link-only invitation is final too: one not-permitted record, read once', async () => {
    world = await startWorld();
    const w = world;
    w.sim.faults.inject({
      method: 'GET',
      path: /messagingInvitations\/[^/]+$/,
      status: 403,
      times: Number.POSITIVE_INFINITY,
    });
    const sent = w.sim.scenario
      .whenAvailable()
      .then(() => w.sim.scenario.incomingIm(colleague, 'hi', { embedInvitation: false }));
    await w.watchUntil(() => w.received('teams').length >= 1 && w.sim.scenario.pendingEvents().length === 0);
    await sent;
    expect(w.sim.requests.filter((r) => /messagingInvitations\/[^/]+$/.test(r.path))).toHaveLength(1);
    const rows = await w.auditRows();
    expect(rows.map((r) => [r.subject, r.rule, r.outcome])).toEqual([
      ['invitation', 'server-refused', 'not-permitted'],
    ]);
    expect(w.telemetry.events.filter((e) => e.name === 'EventRejected')).toEqual([]);
  });
});

describe('keep-alive', () => {
  it('reports activity beside the channel, so an available application never expires', async () => {
    // The server's clock moves 399 ms after every report: 4 s in ten reports, so the application outlives its
    // 400 ms window only because each report starts it again — however slowly this machine runs the reports.
    const clock = new ManualClock();
    world = await startWorld({ sim: { activityTimeoutMs: 400, clock } });
    const w = world;
    w.sim.on('action', (action) => {
      if (action.kind === 'reportMyActivity') clock.advance(399);
    });
    const reports = () => w.sim.actions.filter((a) => a.kind === 'reportMyActivity').length;
    const result = await watchTuned(w, { keepaliveMs: 100 }, () => reports() >= 10);
    expect(reports()).toBeGreaterThanOrEqual(10);
    expect(w.sim.actions.filter((a) => a.kind === 'applicationExpired')).toEqual([]);
    expect(result).toMatchObject({ recreated: 0, outcome: 'aborted' });
  });

  it('a refused report is said once; the application expires and is re-created with backoff, one alert at the limit', async () => {
    world = await startWorld({ sim: { activityTimeoutMs: 250 } });
    const w = world;
    w.sim.faults.inject({
      method: 'POST',
      path: '/reportMyActivity',
      status: 403,
      times: Number.POSITIVE_INFINITY,
    });
    const alerts: unknown[] = [];
    const result = await watchTuned(
      w,
      { keepaliveMs: 50, recreation: { baseMs: 40, maxMs: 80, limit: 3, windowMs: 60_000 } },
      // The last re-creation may be cut short by the stop: wait for one more than asserted.
      () => w.sim.actions.filter((a) => a.kind === 'makeMeAvailable').length >= 6,
      { alerts },
    );
    expect(result.recreated).toBeGreaterThanOrEqual(4);
    expect(w.logs.filter((l) => l.message.includes('refused reportMyActivity'))).toHaveLength(1);
    const pauses = w.logs
      .filter((l) => l.message === 'UCWA application gone; re-creating it')
      .map((l) => l.properties?.afterMs);
    expect(pauses.slice(0, 4)).toEqual([undefined, 40, 80, 80]);
    expect(alerts.map((a) => (a as Error).message)).toEqual([
      expect.stringContaining('403'),
      expect.stringMatching(/dropped the application 3 times/),
    ]);
  });
});

describe('rediscovery', () => {
  it.each([
    { label: 'a 403', fault: { status: 403 } },
    { label: 'a connection that keeps failing', fault: { drop: true, times: 4 } },
  ])('after $label on the event channel it rediscovers, re-attaches and carries on', async ({ fault }) => {
    world = await startWorld({ settings: { WATCHED_MEETINGS: MEETING_URI } });
    const w = world;
    const meeting = w.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
    const roots = () => w.sim.requests.filter((r) => r.path.endsWith('/root')).length;
    const script = (async () => {
      await meeting.whenJoined();
      w.sim.faults.inject({ method: 'GET', path: '/events', ...fault });
      await expect.poll(roots, { timeout: 5_000 }).toBe(2);
      meeting.knock({ anonymous: true, name: 'Late guest', sourceNetwork: 'PublicCloud' });
    })();
    const result = await watchTuned(w, {}, () =>
      w.sim.actions.some((a) => a.kind === 'reject' || a.kind === 'eject'),
    );
    await script;
    expect(result).toMatchObject({ outcome: 'aborted', recreated: 0 });
    // The same application was still there: attached again, not re-created.
    expect(w.sim.actions.filter((a) => a.kind === 'createApplication')).toHaveLength(1);
  });
});

const anonymous = (name: string) => ({
  anonymous: true,
  name,
  sourceNetwork: 'PublicCloud' as const,
  uri: `sip:${name.toLowerCase().replaceAll(' ', '.')}@public.example`,
});

function removalsOf(w: World, uri: string): string[] {
  return w.sim.actions
    .filter((a) => (a.kind === 'eject' || a.kind === 'reject') && a.participantUri === uri)
    .map((a) => a.kind);
}

async function auditRows(w: World) {
  return w.auditRows();
}

describe('the lobby verbs', () => {
  it('rejects a guest waiting in the lobby (reject_ref.md), never ejects them', async () => {
    world = await startWorld({ settings: { WATCHED_MEETINGS: MEETING_URI } });
    const w = world;
    const meeting = w.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
    const guest = anonymous('Lobby Guest');
    const knocked = meeting.whenJoined().then(() => meeting.knock(guest, { embedParticipant: true }));
    await w.watchUntil(() => removalsOf(w, guest.uri).length >= 1 && w.received('teams').length >= 1);
    await knocked;
    expect(removalsOf(w, guest.uri)).toEqual(['reject']);
    expect((await auditRows(w)).map((r) => [r.decision, r.outcome, r.detail])).toEqual([
      ['eject', 'done', 'rejected from the lobby'],
    ]);
  });
});

describe('anonymous participants already in the meeting (on: "roster")', () => {
  const rosterPolicy = JSON.stringify({
    rules: [
      { name: 'eject-anonymous-in-lobby', on: 'lobby', when: { anonymous: true }, action: 'eject' },
      { name: 'eject-anonymous-in-meeting', on: 'roster', when: { anonymous: true }, action: 'eject' },
    ],
  });

  async function meetingWithBypass(settings: Record<string, string>) {
    world = await startWorld({ settings: { WATCHED_MEETINGS: MEETING_URI, ...settings } });
    const w = world;
    const meeting = w.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
    // Admitted before the gatekeeper joined, and one who bypasses the lobby afterwards.
    const early = anonymous('Early Guest');
    const late = anonymous('Bypass Guest');
    meeting.join(early);
    const joined = meeting.whenJoined().then(() => {
      meeting.join(late);
      meeting.join(colleague);
    });
    return { w, meeting, early, late, joined };
  }

  it('are ejected from the meeting when a rule says so', async () => {
    const { w, early, late, joined } = await meetingWithBypass({ GATEKEEPER_POLICY: rosterPolicy });
    await w.watchUntil(
      () =>
        removalsOf(w, early.uri).length + removalsOf(w, late.uri).length >= 2 &&
        w.received('teams').length >= 2,
    );
    await joined;
    expect(removalsOf(w, early.uri)).toEqual(['eject']);
    expect(removalsOf(w, late.uri)).toEqual(['eject']);
    expect(removalsOf(w, colleague.uri)).toEqual([]);
    const rows = (await auditRows(w)).filter((r) => r.subject === 'roster');
    expect(rows.map((r) => [r.rule, r.outcome]).sort()).toEqual([
      ['eject-anonymous-in-meeting', 'done'],
      ['eject-anonymous-in-meeting', 'done'],
    ]);
  });

  it('are left alone, and not even read, without such a rule (the default policy)', async () => {
    const { w, meeting, joined } = await meetingWithBypass({});
    let joinedAt = Number.POSITIVE_INFINITY;
    void joined.then(() => {
      joinedAt = performance.timeOrigin + performance.now();
    });
    // Two P-GETs after the joins: the batch with them was handled.
    await w.watchUntil(
      () =>
        meeting.participants().length >= 3 &&
        w.sim.scenario.pendingEvents().length === 0 &&
        pollsAfter(w, joinedAt) >= 2,
    );
    await joined;
    expect(pollsAfter(w, joinedAt)).toBeGreaterThanOrEqual(2);
    expect(w.sim.actions.filter((a) => a.kind === 'eject' || a.kind === 'reject')).toEqual([]);
    expect(w.sim.requests.filter((r) => r.method === 'GET' && r.path.includes('/participants/'))).toEqual([]);
    expect(await auditRows(w)).toEqual([]);
  });

  it('are counted in dry-run: reported as would-do, nobody removed', async () => {
    const { w, early, late, joined } = await meetingWithBypass({
      GATEKEEPER_POLICY: rosterPolicy,
      GATEKEEPER_MODE: 'dry-run',
    });
    await w.watchUntil(() => w.received('teams').length >= 2);
    await joined;
    expect(removalsOf(w, early.uri)).toEqual([]);
    expect(removalsOf(w, late.uri)).toEqual([]);
    const rows = (await auditRows(w)).filter((r) => r.subject === 'roster');
    expect(rows.map((r) => [r.outcome, r.mode])).toEqual([
      ['would-do', 'dry-run'],
      ['would-do', 'dry-run'],
    ]);
    expect(JSON.stringify(w.received('teams'))).toMatch(/DRY-RUN/);
  });
});

describe('a 403 about one lobby guest', () => {
  it('on the removal is final: not permitted, said once, never retried — not even by the sweep', async () => {
    world = await startWorld({ settings: { WATCHED_MEETINGS: MEETING_URI } });
    const w = world;
    const meeting = w.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
    const refused = w.sim.faults.inject({
      method: 'POST',
      path: /\/reject$/,
      status: 403,
      times: Number.POSITIVE_INFINITY,
    });
    const guest = anonymous('Refused Guest');
    const knocked = meeting.whenJoined().then(() => meeting.knock(guest));
    await w.watchUntil(() => refused.hits >= 1 && w.received('teams').length >= 1);
    await knocked;
    const { runSweep } = await import('../../shared/app/jobs.js');
    await runSweep(w.rt);
    expect(refused.hits).toBe(1);
    const rows = await auditRows(w);
    expect(rows.map((r) => [r.outcome, String(r.detail).slice(0, 26)])).toEqual([
      ['not-permitted', 'refused by the server (403'],
    ]);
    expect(w.received('teams')).toHaveLength(1);
  });

  it('on reading them is final too: one not-permitted record, no rejected event', async () => {
    world = await startWorld({ settings: { WATCHED_MEETINGS: MEETING_URI } });
    const w = world;
    const meeting = w.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
    const knocked = meeting.whenJoined().then(() => {
      const handle = meeting.knock(anonymous('Hidden Guest'));
      w.sim.faults.inject({
        method: 'GET',
        path: handle.participantHref,
        status: 403,
        times: Number.POSITIVE_INFINITY,
      });
    });
    await w.watchUntil(() => w.received('teams').length >= 1 && w.sim.scenario.pendingEvents().length === 0);
    await knocked;
    expect((await auditRows(w)).map((r) => [r.rule, r.outcome])).toEqual([
      ['server-refused', 'not-permitted'],
    ]);
    expect(w.sim.actions.filter((a) => a.kind === 'reject' || a.kind === 'eject')).toEqual([]);
    expect(w.telemetry.events.filter((e) => e.name === 'EventRejected')).toEqual([]);
  });
});
