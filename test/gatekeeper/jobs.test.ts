import { TableServiceClient } from '@azure/data-tables';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runDigest, runSweep, runWatch } from '../../shared/app/jobs.js';
import { MEETING_URI, startWorld, type World } from '../helpers/gatekeeper-world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const anonymous = {
  anonymous: true,
  name: 'Late Guest',
  sourceNetwork: 'PublicCloud' as const,
  uri: 'sip:late@anon.example',
};

describe('sweepLobbies', () => {
  it('ejects a guest the events never reported, and rejoins a watched meeting the account left', async () => {
    world = await startWorld({ settings: { WATCHED_MEETINGS: MEETING_URI } });
    const w = world;
    const meeting = w.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
    await w.watchUntil(() => w.sim.actions.some((a) => a.kind === 'joinOnlineMeeting'), 3_000);
    await meeting.whenJoined();
    // Nobody holds the channel now: only the sweep can see this guest.
    meeting.knock(anonymous);
    const result = await runSweep(w.rt);
    expect(result).toMatchObject({ meetings: 1, lobbyParticipants: 1, joined: 0 });
    expect(
      // Still waiting in the lobby: rejected (reject_ref.md), not ejected.
      w.sim.actions.filter((a) => a.kind === 'reject' && a.participantUri === anonymous.uri),
    ).toHaveLength(1);
    // A second sweep finds nothing left to do.
    await runSweep(w.rt);
    expect(w.sim.actions.filter((a) => a.kind === 'reject' || a.kind === 'eject')).toHaveLength(1);

    // The application is re-created (as after expiry): the sweep joins the watched meeting again.
    w.sim.expireApplication('404');
    await w.rt.ucwa.recreateApplication();
    const { state, etag } = await w.rt.cursors.read();
    await w.rt.cursors.write({ ...state, applicationHref: w.rt.ucwa.currentApplication?.href ?? '' }, etag);
    expect(await runSweep(w.rt)).toMatchObject({ joined: 1 });
  });
});

describe('sweepLobbies under faults', () => {
  async function joinedMeeting(w: World) {
    const meeting = w.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
    await w.watchUntil(() => w.sim.actions.some((a) => a.kind === 'joinOnlineMeeting'), 3_000);
    await meeting.whenJoined();
    return meeting;
  }
  const joins = (w: World) => w.sim.actions.filter((a) => a.kind === 'joinOnlineMeeting').length;

  it('does not join a watched meeting again when it could not read whether the account is in it', async () => {
    world = await startWorld({ settings: { WATCHED_MEETINGS: MEETING_URI } });
    const w = world;
    await joinedMeeting(w);
    // Joining again would replace the conversation: every participant href seen so far would lead nowhere.
    w.sim.faults.inject({
      method: 'GET',
      path: '/onlineMeeting',
      status: 503,
      times: Number.POSITIVE_INFINITY,
    });
    expect(await runSweep(w.rt)).toMatchObject({ joined: 0 });
    expect(joins(w)).toBe(1);
  });

  it('a lobby it could not read fails the sweep, after guarding the lobbies it could', async () => {
    world = await startWorld({ settings: { WATCHED_MEETINGS: MEETING_URI } });
    const w = world;
    const meeting = await joinedMeeting(w);
    meeting.knock(anonymous);
    w.sim.faults.inject({ method: 'GET', path: '/lobby', status: 503, times: Number.POSITIVE_INFINITY });
    await expect(runSweep(w.rt)).rejects.toThrow(/503/);
  });
});

describe('digest', () => {
  it('is quiet when nothing happened and counts the period otherwise', async () => {
    world = await startWorld();
    const w = world;
    expect(await runDigest(w.rt)).toBeUndefined();
    expect(w.chat.received).toHaveLength(0);

    const sent = w.sim.scenario.whenAvailable().then(() => {
      w.sim.scenario.incomingIm(anonymous, 'one');
      w.sim.scenario.incomingIm(
        { name: 'Partner', uri: 'sip:p@fabrikam.com', sourceNetwork: 'Federated' },
        'two',
      );
    });
    await w.watchUntil(() => w.received('teams').length >= 2);
    await sent;
    const notice = await runDigest(w.rt, new Date(w.rt.now().getTime() + 1_000));
    expect(notice).toMatchObject({
      kind: 'digest',
      digest: { invitations: 2, bySourceNetwork: { PublicCloud: 1, Federated: 1 } },
    });
    expect(w.received('teams')).toHaveLength(3);
    // The next period starts where this one ended.
    expect(await runDigest(w.rt, new Date(w.rt.now().getTime() + 2_000))).toBeUndefined();
  });
});

describe('outbox draining', () => {
  it('delivers a burst larger than one page in one go', async () => {
    world = await startWorld();
    const w = world;
    const at = w.rt.now().toISOString();
    for (let n = 0; n < 120; n++) {
      await w.rt.outbox.enqueue({
        id: `burst-${n}`,
        kind: 'alert',
        at,
        mode: 'enforce',
        alert: { title: `n${n}`, detail: 'x' },
      });
    }
    await w.rt.drainOutbox();
    expect(w.received('teams')).toHaveLength(120);
    expect(w.received('slack')).toHaveLength(120);
  });
});

describe('watchEvents at a start', () => {
  it('creates the claim and audit tables beside the lease, so the first removal creates none on its way', async () => {
    world = await startWorld();
    const w = world;
    let parked = false;
    w.sim.on('parked', () => {
      parked = true;
    });
    await w.watchUntil(() => parked, 4_000);
    const service = TableServiceClient.fromConnectionString(inject('azuriteConnectionString'), {
      allowInsecureConnection: true,
    });
    const tables: string[] = [];
    for await (const table of service.listTables())
      if (table.name?.startsWith(w.namespace)) tables.push(table.name);
    // No event came: only the start can have created them.
    expect(tables).toEqual(expect.arrayContaining([`${w.namespace}idempotency`, `${w.namespace}audit`]));
  });
});

describe('watchEvents', () => {
  it('started while the app shuts down, it takes no lease and creates no application', async () => {
    world = await startWorld();
    const w = world;
    const result = await runWatch(w.rt, w.rt.now().getTime() + 60_000, AbortSignal.abort());
    expect(result.outcome).toBe('aborted');
    expect(w.sim.actions.filter((a) => a.kind === 'createApplication')).toEqual([]);
  });
});
