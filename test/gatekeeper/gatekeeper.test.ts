import { RestError } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';
import { MEETING_URI, startWorld, type World } from '../helpers/gatekeeper-world.js';

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
const colleague = {
  anonymous: false,
  name: 'Alice Colleague',
  sourceNetwork: 'SameEnterprise' as const,
  uri: 'sip:alice@contoso.com',
};

function ejectsOf(w: World, uri: string) {
  return w.sim.actions.filter((a) => (a.kind === 'eject' || a.kind === 'reject') && a.participantUri === uri);
}

async function auditRows(w: World) {
  return w.auditRows();
}

/** P-GETs that arrived after `at` (the simulator's clock). */
function pollsAfter(w: World, at: number): number {
  return w.sim.requests.filter((r) => r.path.includes('/events') && r.at > at).length;
}

/** A meeting the gatekeeper guards (joined through WATCHED_MEETINGS) — the account is a leader unless told. */
async function guardedMeeting(settings: Record<string, string> = {}, accountIsLeader = true) {
  world = await startWorld({ settings: { WATCHED_MEETINGS: MEETING_URI, ...settings } });
  const meeting = world.sim.scenario.meeting({
    onlineMeetingUri: MEETING_URI,
    subject: 'Quarterly review',
    accountIsLeader,
  });
  return { w: world, meeting };
}

describe('the gatekeeper, against the simulator, Azurite and a chat sink', () => {
  it('1. summarises an IM from an anonymous PublicCloud sender once, to Teams and Slack, with an audit row', async () => {
    world = await startWorld();
    const w = world;
    const ready = w.sim.scenario
      .whenAvailable()
      .then(() => w.sim.scenario.incomingIm(anonymousGuest(1), 'Hello, buy now'));
    await w.watchUntil(() => w.received('slack').length >= 1 && w.received('teams').length >= 1);
    await ready;
    const teams = JSON.stringify(w.received('teams'));
    expect(w.received('teams')).toHaveLength(1);
    expect(w.received('slack')).toHaveLength(1);
    expect(teams).toContain('Anonymous 1');
    expect(teams).toContain('PublicCloud');
    expect(teams).toContain('Hello, buy now');
    const rows = await auditRows(w);
    expect(rows.filter((r) => r.subject === 'invitation')).toHaveLength(1);
    expect(rows[0]).toMatchObject({ decision: 'summarize', mode: 'enforce', outcome: 'done' });
    expect(w.telemetry.events.map((e) => e.name)).toContain('InvitationInspected');
  });

  it('2. ejects the two anonymous guests once each and leaves the colleague alone', async () => {
    const { w, meeting } = await guardedMeeting();
    const knocked = (async () => {
      await meeting.whenJoined();
      meeting.knock(anonymousGuest(1), { embedParticipant: true });
      meeting.knock(colleague);
      meeting.knock(anonymousGuest(2));
    })();
    await w.watchUntil(
      () =>
        ejectsOf(w, 'sip:anon1@public.example').length + ejectsOf(w, 'sip:anon2@public.example').length >=
          2 && w.received('teams').length >= 2,
    );
    await knocked;
    expect(ejectsOf(w, 'sip:anon1@public.example')).toHaveLength(1);
    expect(ejectsOf(w, 'sip:anon2@public.example')).toHaveLength(1);
    expect(ejectsOf(w, colleague.uri)).toHaveLength(0);
    expect(meeting.participants().find((p) => p.facts.uri === colleague.uri)?.where).toBe('lobby');
    expect(w.received('teams')).toHaveLength(2);
    const rows = await auditRows(w);
    expect(
      rows
        .filter((r) => r.subject === 'lobby')
        .map((r) => [r.decision, r.outcome])
        .sort(),
    ).toEqual([
      ['eject', 'done'],
      ['eject', 'done'],
      ['ignore', 'skipped'],
    ]);
  });

  it('ejects a burst of guests with their reads and removals batched', async () => {
    const { w, meeting } = await guardedMeeting();
    await w.watchUntil(() => w.sim.actions.some((a) => a.kind === 'joinOnlineMeeting'), 3_000);
    await meeting.whenJoined();
    // Ten guests knock while nobody polls: they arrive in one batch of events.
    for (let n = 1; n <= 10; n++) meeting.knock(anonymousGuest(n));
    const before = w.sim.requests.length;
    // Guests waiting in the lobby are rejected (the lobby's verb), so count both verbs.
    const removals = () => w.sim.actions.filter((a) => a.kind === 'eject' || a.kind === 'reject');
    await w.watchUntil(() => removals().length >= 10);
    const after = w.sim.requests.slice(before).filter((r) => !r.batchPart);
    for (let n = 1; n <= 10; n++) expect(ejectsOf(w, `sip:anon${n}@public.example`)).toHaveLength(1);
    expect(after.filter((r) => /\/(eject|reject)$/.test(r.path))).toHaveLength(0);
    expect(after.filter((r) => r.path.endsWith('/batch'))).toHaveLength(2); // one read, one removal
  });

  it('3. dry-run ejects nobody and says what it would have done', async () => {
    const { w, meeting } = await guardedMeeting({ GATEKEEPER_MODE: 'dry-run' });
    const knocked = meeting.whenJoined().then(() => meeting.knock(anonymousGuest(1)));
    await w.watchUntil(() => w.received('slack').length >= 1);
    await knocked;
    expect(w.sim.actions.filter((a) => a.kind === 'eject' || a.kind === 'reject')).toHaveLength(0);
    const slack = JSON.stringify(w.received('slack'));
    expect(slack).toMatch(/dry.run/i);
    expect((await auditRows(w)).map((r) => r.outcome)).toContain('would-do');
  });

  it('4. leaves an allow-listed sender alone, but never an anonymous one (anonymous always wins)', async () => {
    const policy = JSON.stringify({
      rules: [{ name: 'eject-all', on: 'lobby', action: 'eject' }],
      allow: { uris: ['sip:anon1@public.example', 'sip:anon2@public.example'] },
    });
    const { w, meeting } = await guardedMeeting({ GATEKEEPER_POLICY: policy });
    const knocked = meeting.whenJoined().then(() => {
      meeting.knock({ ...anonymousGuest(1), anonymous: false });
      meeting.knock(anonymousGuest(2));
    });
    await w.watchUntil(() => w.received('teams').length >= 2);
    await knocked;
    expect(ejectsOf(w, 'sip:anon1@public.example')).toHaveLength(0);
    expect(ejectsOf(w, 'sip:anon2@public.example')).toHaveLength(1);
    expect(await auditRows(w)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ facts: expect.stringContaining('anon1@'), rule: 'allow-list' }),
        expect.objectContaining({ facts: expect.stringContaining('anon2@'), rule: 'eject-all' }),
      ]),
    );
  });

  // Known flake (about 1 run in 3 under CI load, on every Node version, since before this session): the second
  // guest is sometimes never removed by the second run. Retried until the race is found; see the closing note.
  it('5. a failed cursor save after an eject re-reads the batch: neither ejects again nor loses an event', async () => {
    const { w, meeting } = await guardedMeeting();
    const knocked = meeting.whenJoined().then(() => meeting.knock(anonymousGuest(1)));
    // The first cursor save after an ejection fails (a storage outage, or a crash before it).
    const write = w.rt.cursors.write.bind(w.rt.cursors);
    let crashed = false;
    w.rt.cursors.write = async (state, etag) => {
      if (!crashed && ejectsOf(w, 'sip:anon1@public.example').length > 0) {
        crashed = true;
        throw new RestError('storage is briefly unavailable', { statusCode: 503 });
      }
      return write(state, etag);
    };
    await w.watchUntil(() => crashed && w.logs.some((l) => l.message.includes('re-reading')));
    // The first guest was removed, so their knock has happened.
    void knocked;
    // The batch is read again from the saved cursor, and a new knock arrives meanwhile.
    meeting.knock(anonymousGuest(2));
    // Chat goes out beside the channel: wait for the first guest's notice too, not only the second removal.
    const noticed = () => w.received('teams').some((m) => JSON.stringify(m).includes('Anonymous 1'));
    // The first run ended as soon as it logged, often mid-post: that post finishes and is recorded (cut off,
    // it was backed off 30 s past this run, or sent twice).
    await w.watchUntil(() => ejectsOf(w, 'sip:anon2@public.example').length >= 1 && noticed());
    expect(ejectsOf(w, 'sip:anon1@public.example')).toHaveLength(1);
    expect(ejectsOf(w, 'sip:anon2@public.example')).toHaveLength(1);
    const teams = w.received('teams').map((m) => JSON.stringify(m));
    expect(teams.filter((m) => m.includes('Anonymous 1'))).toHaveLength(1);
  });

  it('5b. a storage failure after the eject is retried in the same run: reported once, ejected once', async () => {
    const { w, meeting } = await guardedMeeting();
    const knocked = meeting.whenJoined().then(() => meeting.knock(anonymousGuest(1)));
    const record = w.rt.audit.record.bind(w.rt.audit);
    let failed = false;
    w.rt.audit.record = async (entry) => {
      if (!failed && entry.subject === 'lobby') {
        failed = true;
        throw new RestError('storage is briefly unavailable', { statusCode: 503 });
      }
      return record(entry);
    };
    await w.watchUntil(() => failed && w.received('teams').length >= 1);
    await knocked;
    expect(ejectsOf(w, 'sip:anon1@public.example')).toHaveLength(1);
    expect((await auditRows(w)).filter((r) => r.subject === 'lobby').map((r) => r.outcome)).toEqual(['done']);
    expect(JSON.stringify(w.received('teams'))).toContain('Anonymous 1');
    expect(w.logs.some((l) => l.message.includes('re-reading'))).toBe(true);
  });

  it('6. a chat webhook down for three runs delays summaries but delivers each exactly once', async () => {
    world = await startWorld();
    const w = world;
    w.chat.down(503);
    const sent = w.sim.scenario.whenAvailable().then(() => {
      w.sim.scenario.incomingIm(anonymousGuest(1), 'first');
      w.sim.scenario.incomingIm(colleague, 'second');
    });
    await w.watchUntil(
      () =>
        w.sim.scenario.pendingEvents().length === 0 &&
        w.telemetry.events.filter((e) => e.name === 'InvitationInspected').length >= 2,
    );
    await sent;
    // Three more runs while the webhooks are down, each one a later time.
    let later = Date.now();
    for (let run = 0; run < 3; run++) {
      later += 3_600_000;
      await w.rt.outbox.drain({ sinks: w.rt.sinks, now: new Date(later) });
    }
    expect(w.chat.received).toHaveLength(0);
    w.chat.up();
    later += 3_600_000;
    await w.rt.outbox.drain({ sinks: w.rt.sinks, now: new Date(later) });
    await w.rt.outbox.drain({ sinks: w.rt.sinks, now: new Date(later + 3_600_000) });
    expect(w.received('teams')).toHaveLength(2);
    expect(w.received('slack')).toHaveLength(2);
  });

  it('7. re-creates an application that expired mid-run, rejoins the meeting and handles what comes next', async () => {
    const { w, meeting } = await guardedMeeting();
    let expired = false;
    const script = (async () => {
      await meeting.whenJoined();
      meeting.knock(anonymousGuest(1));
      await w.untilAction(() => ejectsOf(w, 'sip:anon1@public.example').length > 0);
      w.sim.expireApplication('404');
      expired = true;
      // The new application rejoins; then more guests knock.
      await w.untilAction(() => w.sim.actions.filter((a) => a.kind === 'joinOnlineMeeting').length >= 2);
      await meeting.whenJoined();
      meeting.knock(anonymousGuest(2));
      w.sim.scenario.incomingIm(anonymousGuest(3), 'after the restart');
    })();
    const result = await w.watchUntil(
      () => expired && ejectsOf(w, 'sip:anon2@public.example').length >= 1 && w.received('teams').length >= 3,
      12_000,
    );
    await script;
    expect(result.recreated).toBe(1);
    expect(w.sim.actions.filter((a) => a.kind === 'createApplication')).toHaveLength(2);
    expect(ejectsOf(w, 'sip:anon2@public.example')).toHaveLength(1);
    expect(JSON.stringify(w.received('teams'))).toContain('after the restart');
  });

  it('also sends each summary as an instant message through UCWA when CHAT_UCWA_IM_TO is set', async () => {
    world = await startWorld({ settings: { CHAT_UCWA_IM_TO: 'sip:admin@contoso.com' } });
    const w = world;
    const sent = w.sim.scenario
      .whenAvailable()
      .then(() => w.sim.scenario.incomingIm(anonymousGuest(1), 'spam'));
    await w.watchUntil(() => w.sim.actions.some((a) => a.kind === 'startMessaging'));
    await sent;
    const im = w.sim.actions.filter((a) => a.kind === 'startMessaging');
    expect(im).toHaveLength(1);
    expect(JSON.stringify(im[0]?.body)).toContain('sip:admin@contoso.com');
    expect(JSON.stringify(im[0]?.body)).toContain('Anonymous 1');
  });

  it('registers Messaging and PhoneAudio, so a phone call invitation is summarised too', async () => {
    world = await startWorld();
    const w = world;
    const sent = w.sim.scenario.whenAvailable().then(() => {
      w.sim.scenario.incomingInvitation({ kind: 'phoneAudio', from: colleague, subject: 'Call me' });
      // Audio cannot be registered (makeMeAvailable refuses it), so a real server never delivers this one.
      w.sim.scenario.incomingInvitation({ kind: 'audioVideo', from: colleague });
    });
    await w.watchUntil(() => w.received('teams').length >= 1);
    await sent;
    const registered = w.sim.actions.find((a) => a.kind === 'makeMeAvailable')?.body as {
      modalities: string[];
    };
    expect(registered.modalities).toEqual(['Messaging', 'PhoneAudio']);
    expect(JSON.stringify(w.received('teams'))).toContain('Call me');
    expect(w.sim.scenario.undelivered.map((u) => [u.options.kind, u.reason])).toEqual([
      ['audioVideo', 'modalityNotRegistered'],
    ]);
  });

  it.each(['captured', 'sparse'] as const)(
    'works with the %s traffic style: summaries, the IM copy and a lobby guest',
    async (traffic) => {
      world = await startWorld({
        sim: { traffic },
        settings: { WATCHED_MEETINGS: MEETING_URI, CHAT_UCWA_IM_TO: 'sip:admin@contoso.com' },
      });
      const w = world;
      const meeting = w.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
      const script = (async () => {
        await meeting.whenJoined();
        w.sim.scenario.incomingIm(colleague, 'hello');
        meeting.knock(anonymousGuest(1));
      })();
      await w.watchUntil(
        () =>
          ejectsOf(w, 'sip:anon1@public.example').length >= 1 &&
          w.sim.actions.filter((a) => a.kind === 'startMessaging').length >= 2 &&
          w.sim.scenario.pendingEvents().length === 0,
      );
      await script;
      expect(w.received('teams')).toHaveLength(2);
      expect(w.telemetry.events.filter((e) => e.name === 'EventRejected')).toEqual([]);
      expect(w.logs.filter((l) => l.level === 'error')).toEqual([]);
    },
  );

  it('holds the channel alone: a run finding the lease taken polls nothing', async () => {
    world = await startWorld();
    const w = world;
    const { ChannelLease } = await import('../../shared/store/channel-lease.js');
    const { blobServiceClient } = await import('../../shared/store/blob-service.js');
    const { inject } = await import('vitest');
    const other = new ChannelLease(
      blobServiceClient({ connectionString: inject('azuriteConnectionString') }),
      'gatekeeper-locks',
      `${w.namespace}event-channel`,
    );
    expect(await other.acquire()).toBe(true);
    const result = await w.watchUntil(() => false, 500);
    expect(result.outcome).toBe('another-consumer');
    expect(w.sim.requests.filter((r) => r.path.includes('/events'))).toHaveLength(0);
    await other.release();
  });

  it('9a. rejects a lobby participant that offers only reject', async () => {
    const { w, meeting } = await guardedMeeting();
    const knocked = meeting.whenJoined().then(() => meeting.knock(anonymousGuest(1), { offer: ['reject'] }));
    await w.watchUntil(
      () => ejectsOf(w, 'sip:anon1@public.example').length >= 1 && w.received('teams').length >= 1,
    );
    await knocked;
    expect(ejectsOf(w, 'sip:anon1@public.example').map((a) => a.kind)).toEqual(['reject']);
  });

  it('9b. in a meeting where it is not a leader, says so once and does not retry', async () => {
    const { w, meeting } = await guardedMeeting({}, false);
    const knocked = (async () => {
      await meeting.whenJoined();
      meeting.knock(anonymousGuest(1));
      meeting.knock(anonymousGuest(2));
    })();
    // Both refusals handled and said, then two more P-GETs: a retry would have come with them.
    const refusals = () =>
      w.telemetry.events.filter(
        (e) => e.name === 'ParticipantEjected' && e.properties.outcome === 'not-permitted',
      );
    let handledAt = Number.POSITIVE_INFINITY;
    await w.watchUntil(() => {
      if (handledAt === Number.POSITIVE_INFINITY && refusals().length >= 2 && w.received('teams').length >= 1)
        handledAt = performance.timeOrigin + performance.now();
      return pollsAfter(w, handledAt) >= 2;
    });
    await knocked;
    expect(pollsAfter(w, handledAt)).toBeGreaterThanOrEqual(2);
    expect(w.sim.actions.filter((a) => a.kind === 'eject' || a.kind === 'reject')).toHaveLength(0);
    const notices = w.received('teams').map((m) => JSON.stringify(m));
    expect(notices.filter((m) => /not a leader/i.test(m))).toHaveLength(1);
    const rows = await auditRows(w);
    expect(rows.filter((r) => r.outcome === 'not-permitted')).toHaveLength(2);
    // A sweep finds them still waiting but does not act or notify again.
    const { runSweep } = await import('../../shared/app/jobs.js');
    await runSweep(w.rt);
    expect((await auditRows(w)).filter((r) => r.outcome === 'not-permitted')).toHaveLength(2);
  });
});
