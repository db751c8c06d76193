/**
 * The gatekeeper against a simulator that behaves the way the UCWA reference says a server does (issue 11):
 * its own invitations, the lobby verbs, keep-alive, refusals, rediscovery. Each test fails on a gatekeeper
 * that reads the protocol the way the simulator used to.
 */
import { afterEach, describe, expect, it } from 'vitest';
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
    const rows = await w.rt.audit.day(new Date().toISOString().slice(0, 10));
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
    const rows = await w.rt.audit.day(new Date().toISOString().slice(0, 10));
    expect(rows.map((r) => [r.subject, r.rule, r.outcome])).toEqual([
      ['invitation', 'server-refused', 'not-permitted'],
    ]);
    expect(w.telemetry.events.filter((e) => e.name === 'EventRejected')).toEqual([]);
  });
});
