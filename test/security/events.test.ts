/**
 * Attack matrix, the event channel and the timer jobs: attacks a sender (or a failure) carries in through the
 * UCWA simulator, handled by the real watch and sweep, with what reached the chat sink, telemetry and logs
 * checked. Items of issue 12 are marked #n.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep } from '../../shared/app/jobs.js';
import { HIDDEN_MARKER } from '../../shared/chat/text.js';
import { allStrings, HOSTILE_NAME } from '../chat/notices.js';
import { MEETING_URI, startWorld, type World } from '../helpers/gatekeeper-world.js';

const POLICY = {
  rules: [
    { name: 'eject-anonymous-in-lobby', on: 'lobby', when: { anonymous: true }, action: 'eject' },
    { name: 'summarize-invitations', on: 'invitation', action: 'summarize' },
  ],
  allow: { uris: ['sip:anon-8812@contoso.com'], domains: ['contoso.com', '*.contoso.com'] },
};

let world: World;
beforeAll(async () => {
  world = await startWorld({
    sim: { participantIds: 'sip' },
    settings: { WATCHED_MEETINGS: MEETING_URI, GATEKEEPER_POLICY: JSON.stringify(POLICY) },
  });
  const meeting = world.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
  await world.watchUntil(() => world.sim.actions.some((a) => a.kind === 'joinOnlineMeeting'), 3_000);
  await meeting.whenJoined();
});
afterAll(() => world?.close());

const meeting = () => {
  const found = world.sim.scenario.getMeeting(MEETING_URI);
  if (!found) throw new Error('no meeting');
  return found;
};

/**
 * An instant message from `from` goes through the channel; resolves with the chat payloads about it (Teams
 * and Slack), picked by the sender's address: notices of earlier tests may still arrive meanwhile.
 */
async function summarised(from: { name: string; uri: string }, message: string): Promise<unknown[]> {
  const before = world.chat.received.length;
  const about = () =>
    world.chat.received.slice(before).filter((m) => JSON.stringify(m.body).includes(from.uri));
  world.sim.scenario.incomingIm({ ...from, sourceNetwork: 'PublicCloud', anonymous: true }, message);
  await world.watchUntil(() => about().length >= 2);
  return about();
}

describe('anonymous always wins over the allow-list (#1)', () => {
  it.each([
    ['a server-assigned URI in an allow-listed domain', 'sip:anon-1234@contoso.com'],
    ['an allow-listed URI', 'sip:anon-8812@contoso.com'],
    ['a URI under an allow-listed wildcard', 'sip:anon-77@eu.contoso.com'],
  ])('an anonymous guest with %s is removed from the lobby', async (_label, uri) => {
    meeting().knock({ anonymous: true, name: 'Anonymous', uri, sourceNetwork: 'PublicCloud' });
    const removed = () =>
      world.sim.actions.some((a) => a.participantUri === uri && /eject|reject/.test(a.kind));
    await world.watchUntil(removed, 5_000);
    expect(removed()).toBe(true);
  });
});

describe('what a sender controls reaches chat inert', () => {
  it('hidden characters in a name are removed and marked (#5)', async () => {
    const hidden = [
      '\u3164',
      '\u115f',
      '\u2800',
      '\u00ad',
      '\u034f',
      '\u180e',
      '\u{E0041}',
      '\u200b',
      '\u2066',
    ];
    const payloads = await summarised(
      { name: `Ad${hidden.join('')}min\u3164\u3164`, uri: 'sip:padded@fabrikam.com' },
      `hello${hidden.join('')}`,
    );
    const strings = allStrings(payloads);
    for (const char of hidden) expect(strings.some((text) => text.includes(char))).toBe(false);
    expect(strings.some((text) => text.includes(`Ad${HIDDEN_MARKER}min${HIDDEN_MARKER}`))).toBe(true);
  });

  it('Slack mentions, Teams mentions and markdown links stay text (held)', async () => {
    const payloads = await summarised(
      { name: HOSTILE_NAME, uri: 'sip:hostile@fabrikam.com' },
      '<!here> <at>Everyone</at> [win](https://evil.example/win)',
    );
    const strings = allStrings(payloads);
    for (const text of strings) {
      expect(text).not.toMatch(/<!(channel|here)>|<@|<https?:/);
      expect(text).not.toMatch(/(?<!\\)<at>/);
      expect(text).not.toContain('https://evil.example');
    }
    expect(strings.some((text) => text.includes('&lt;!channel&gt;'))).toBe(true);
  });
});

describe('a failing timer job leaves scrubbed traces only (#10)', () => {
  it('the alert, the error the host logs, telemetry and logs mask the person the failure names', async () => {
    const uri = 'sip:leaky.guest@fabrikam.com';
    const fault = world.sim.faults.inject({
      method: 'POST',
      path: /\/(eject|reject)$/,
      status: 500,
      times: Number.POSITIVE_INFINITY,
    });
    const chatBefore = world.chat.received.length;
    try {
      meeting().knock({ anonymous: true, name: 'Leaky', uri, sourceNetwork: 'PublicCloud' });
      const thrown = await runSweep(world.rt).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(thrown?.name).toBe('UcwaError');
      const traces = [
        `${thrown?.message}\n${thrown?.stack}`,
        JSON.stringify(world.chat.received.slice(chatBefore)),
        JSON.stringify(world.telemetry.exceptions.map(({ error }) => `${(error as Error).message}`)),
        JSON.stringify(world.logs),
      ];
      expect(traces[1]).toContain('sweepLobbies failed');
      for (const trace of traces) expect(trace).not.toContain('leaky.guest');
    } finally {
      fault.remove();
    }
  });
});
