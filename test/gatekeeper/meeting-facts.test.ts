import { afterEach, describe, expect, it } from 'vitest';
import type { ClaimReport } from '../../shared/gatekeeper/conclude.js';
import { EffectRunner } from '../../shared/gatekeeper/effect-runner.js';
import {
  MEETING_FACTS_TTL_MS,
  MeetingFactsReader,
  meetingFactsOf,
} from '../../shared/gatekeeper/meeting-facts.js';
import type { GatekeeperUcwa } from '../../shared/gatekeeper/ports.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import type { Conversation, OnlineMeeting } from '../../shared/ucwa/schemas.js';
import { MEETING_URI, startWorld, type World } from '../helpers/gatekeeper-world.js';
import { MemoryAudit, MemoryClaimStore, MemoryOutbox } from '../helpers/memory-ports.js';

const CONVERSATION = 'https://pool/ucwa/v1/applications/1/communication/conversations/7';
const conversation = {
  subject: 'Chat subject',
  _links: { self: { href: CONVERSATION }, onlineMeeting: { href: `${CONVERSATION}/onlineMeeting` } },
} as unknown as Conversation;
const onlineMeeting = {
  subject: 'Quarterly review',
  organizerName: 'Alice Wood',
  organizerUri: 'sip:alice@contoso.com',
  onlineMeetingUri: 'sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:X',
} as unknown as OnlineMeeting;

/** A UCWA that answers the two reads and counts them; `fail` makes the next reads throw. */
function fakeUcwa() {
  const reads: string[] = [];
  let fail = false;
  const ucwa: Pick<GatekeeperUcwa, 'get' | 'resolve'> = {
    resolve: (href) => href,
    get: (async (rel: string, href: string) => {
      reads.push(`${rel} ${href}`);
      if (fail) throw new Error('503 from the pool');
      return rel === 'conversation' ? conversation : onlineMeeting;
    }) as GatekeeperUcwa['get'],
  };
  return { ucwa, reads, failNext: (value: boolean) => (fail = value) };
}

describe('meeting facts', () => {
  it('come from the online meeting, with the conversation subject as a fallback, and never an href', () => {
    expect(meetingFactsOf(conversation, onlineMeeting)).toEqual({
      subject: 'Quarterly review',
      organizerName: 'Alice Wood',
      organizerUri: 'sip:alice@contoso.com',
      uri: 'sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:X',
    });
    expect(meetingFactsOf(conversation, undefined)).toEqual({ subject: 'Chat subject' });
    expect(meetingFactsOf(undefined, undefined)).toBeUndefined();
  });

  it('are read once per meeting while fresh, by concurrent readers too, and again after the TTL', async () => {
    let now = 0;
    const { ucwa, reads } = fakeUcwa();
    const reader = new MeetingFactsReader(ucwa, () => now);
    const [a, b] = await Promise.all([reader.read(CONVERSATION), reader.read(CONVERSATION)]);
    expect(a).toEqual(b);
    expect(a?.subject).toBe('Quarterly review');
    expect(reads).toEqual([`conversation ${CONVERSATION}`, `onlineMeeting ${CONVERSATION}/onlineMeeting`]);
    now += MEETING_FACTS_TTL_MS - 1;
    await reader.read(CONVERSATION);
    expect(reads).toHaveLength(2);
    now += 1;
    await reader.read(CONVERSATION);
    expect(reads).toHaveLength(4);
  });

  it('read as nothing when the server fails, and are not remembered that way', async () => {
    const { ucwa, reads, failNext } = fakeUcwa();
    const reader = new MeetingFactsReader(ucwa, () => 0);
    failNext(true);
    await expect(reader.read(CONVERSATION)).resolves.toBeUndefined();
    failNext(false);
    await expect(reader.read(CONVERSATION)).resolves.toMatchObject({ subject: 'Quarterly review' });
    expect(reads).toHaveLength(3);
  });
});

describe('a lobby notice', () => {
  const report: ClaimReport = {
    subject: 'lobby',
    participant: `${CONVERSATION}/participants/9`,
    meeting: CONVERSATION,
    facts: { anonymous: true, name: 'Guest', inLobby: true },
    decision: { action: 'eject', rule: 'eject-anonymous-in-lobby', reason: 'anonymous', notify: true },
    notify: true,
  };
  const run = async (meetings: MeetingFactsReader) => {
    const outbox = new MemoryOutbox();
    const runner = new EffectRunner({
      claims: new MemoryClaimStore(),
      audit: new MemoryAudit(),
      outbox,
      telemetry: new MemoryTelemetry(),
      log: { info: () => {}, warn: () => {}, error: () => {} },
      mode: 'enforce',
      now: () => new Date('2026-06-01T12:00:00Z'),
      owner: 'run-1',
      staleAfterMs: 60_000,
      maxAttempts: 3,
      meetings,
    });
    const result = await runner.run({
      key: `eject|${report.participant}`,
      report: { ...report },
      sideEffect: true,
      removal: { offersRemoval: true, reknockAfterMs: 30_000 },
      act: async () => ({ status: 'done', detail: 'rejected from the lobby' }),
    });
    return { result, notices: [...outbox.notices.values()] };
  };

  it('names the meeting by its subject and organizer instead of the conversation href', async () => {
    const { notices } = await run(new MeetingFactsReader(fakeUcwa().ucwa));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      kind: 'lobby',
      meeting: { subject: 'Quarterly review', organizerName: 'Alice Wood' },
    });
    expect(JSON.stringify(notices[0]?.kind === 'lobby' && notices[0].meeting)).not.toContain('https://');
  });

  it('still goes out, without meeting facts, when they cannot be read', async () => {
    const failing = fakeUcwa();
    failing.failNext(true);
    const { result, notices } = await run(new MeetingFactsReader(failing.ucwa));
    expect(result).toBe('concluded');
    expect(notices).toHaveLength(1);
    expect(notices[0]).not.toHaveProperty('meeting');
  });
});

describe('against the simulator', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a removal card names the meeting; an IM card shows a colleague’s words only where the policy says', async () => {
    world = await startWorld({ settings: { WATCHED_MEETINGS: MEETING_URI } });
    const w = world;
    const meeting = w.sim.scenario.meeting({
      onlineMeetingUri: MEETING_URI,
      subject: 'Quarterly review',
      accountIsLeader: true,
    });
    const sent = w.sim.scenario.whenAvailable().then(() => {
      w.sim.scenario.incomingIm(
        {
          name: 'Alice Colleague',
          uri: 'sip:alice@contoso.com',
          sourceNetwork: 'SameEnterprise',
          anonymous: false,
        },
        'our private plans',
      );
      w.sim.scenario.incomingIm(
        { name: 'Jan Partner', uri: 'sip:jan@fabrikam.com', sourceNetwork: 'Federated', anonymous: false },
        'hello from outside',
      );
    });
    const knocked = meeting.whenJoined().then(() =>
      meeting.knock({
        anonymous: true,
        name: 'Anonymous 1',
        sourceNetwork: 'PublicCloud',
        uri: 'sip:anon1@public.example',
      }),
    );
    await w.watchUntil(() => w.received('teams').length >= 3);
    await Promise.all([sent, knocked]);
    const teams = w.received('teams').map((m) => JSON.stringify(m));
    const removal = teams.find((card) => card.includes('Removed from the lobby')) ?? '';
    expect(removal).toContain('Quarterly review');
    expect(removal).not.toMatch(/conversations\/|participants\//);
    const colleague = teams.find((card) => card.includes('Alice Colleague')) ?? '';
    expect(colleague).not.toContain('our private plans');
    expect(colleague).toContain('privacy.firstMessage');
    expect(teams.find((card) => card.includes('Jan Partner'))).toContain('hello from outside');
  });
});
