import { RestError } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { fresh } from '../../shared/gatekeeper/claim-lifecycle.js';
import { effectKeys } from '../../shared/gatekeeper/effect-keys.js';
import { REKNOCK_AFTER_MS } from '../../shared/gatekeeper/lobby-guard.js';
import type { ClaimRecord, GatekeeperUcwa } from '../../shared/gatekeeper/ports.js';
import { SEEN_ELSEWHERE, SENT_THEN_GONE } from '../../shared/gatekeeper/removal-outcomes.js';
import { UcwaError } from '../../shared/ucwa/errors.js';
import type { Participant } from '../../shared/ucwa/schemas.js';
import { APP, fakeUcwa, guest, guestHref, lobbyHarness } from '../helpers/lobby-harness.js';

/** Run 1 sends the removal and dies before the answer: its guard never returns, its claim stays pending. */
async function removalSentThenKilled(h: ReturnType<typeof lobbyHarness>, { reached = true } = {}) {
  const href = guestHref(APP);
  h.server.present.set(href, guest(href));
  let sent!: () => void;
  const requestSent = new Promise<void>((resolve) => {
    sent = resolve;
  });
  const dying: GatekeeperUcwa = {
    ...h.server.ucwa,
    removeParticipants: async (items) => {
      if (reached) await h.server.ucwa.removeParticipants(items);
      sent();
      return new Promise(() => {});
    },
  };
  void h.guardFor('run-1', dying).guard({
    participant: guest(href),
    participantHref: href,
    conversationHref: `${APP}/conversations/C1`,
    receivedAt: 0,
  });
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

/** Where the claim lifecycle re-opens a done removal, and how an acted one is finished, through the guard. */
describe('a removal that is done, or acted on and not yet reported', () => {
  const meeting = `${APP}/conversations/C1`;
  const outcomes = (h: ReturnType<typeof lobbyHarness>) =>
    [...h.audit.rows.values()].map((row) => [row.outcome, row.detail]);

  it('a guest who knocks again 30 s after their removal is removed again; an event replayed sooner is not', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    const guard = h.guardFor('run-1');
    h.server.present.set(href, guest(href));
    expect(
      await guard.guard({
        participant: guest(href),
        participantHref: href,
        conversationHref: meeting,
        receivedAt: 0,
      }),
    ).toBe('concluded');
    expect(h.server.removals).toEqual([href]);

    // The same knock, replayed within the re-knock time (a relay, a re-read batch): nothing new.
    h.advance(REKNOCK_AFTER_MS - 1);
    h.server.present.set(href, guest(href));
    expect(
      await guard.guard({
        participant: guest(href),
        participantHref: href,
        conversationHref: meeting,
        receivedAt: 0,
      }),
    ).toBe('skipped');
    expect(h.server.removals).toHaveLength(1);

    // From 30 s on, the server showing them in the lobby again is a new knock: a new removal, reported anew.
    h.advance(1);
    expect(
      await guard.guard({
        participant: guest(href),
        participantHref: href,
        conversationHref: meeting,
        receivedAt: 0,
      }),
    ).toBe('concluded');
    expect(h.server.removals).toEqual([href, href]);
    expect(outcomes(h)).toEqual([
      ['done', 'rejected from the lobby'],
      ['done', 'rejected from the lobby'],
    ]);
    expect(h.outbox.notices.size).toBe(2);
  });

  it('30 s later, an event for a guest the server no longer shows re-opens nothing', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    const guard = h.guardFor('run-1');
    h.server.present.set(href, guest(href));
    await guard.guard({
      participant: guest(href),
      participantHref: href,
      conversationHref: meeting,
      receivedAt: 0,
    });
    h.advance(REKNOCK_AFTER_MS);
    // The event's copy says "in the lobby", but the server's current view is what counts: gone.
    expect(
      await guard.guard({
        participant: guest(href),
        participantHref: href,
        conversationHref: meeting,
        receivedAt: 0,
      }),
    ).toBe('skipped');
    expect(h.server.removals).toHaveLength(1);
    expect(h.audit.rows.size).toBe(1);
  });

  it('not a leader, then a leader: the guest is removed once the account can act', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    const guard = h.guardFor('run-1');
    // No reject link: the account cannot remove anyone from this lobby (yet).
    const unremovable = { ...guest(href), _links: { self: { href } } } as Participant;
    h.server.present.set(href, unremovable);
    expect(
      await guard.guard({
        participant: unremovable,
        participantHref: href,
        conversationHref: meeting,
        receivedAt: 0,
      }),
    ).toBe('concluded');
    expect(h.server.removals).toEqual([]);

    // Still not a leader: said once, not again.
    h.advance(1_000);
    expect(
      await guard.guard({
        participant: unremovable,
        participantHref: href,
        conversationHref: meeting,
        receivedAt: 0,
      }),
    ).toBe('skipped');

    // Made a leader (the participant now offers reject): the same guest is removed, without waiting 30 s.
    h.advance(1_000);
    h.server.present.set(href, guest(href));
    expect(
      await guard.guard({
        participant: guest(href),
        participantHref: href,
        conversationHref: meeting,
        receivedAt: 0,
      }),
    ).toBe('concluded');
    expect(h.server.removals).toEqual([href]);
    expect(outcomes(h)).toEqual([
      ['not-permitted', 'no eject or reject link: the account is not a leader of this meeting'],
      ['done', 'rejected from the lobby'],
    ]);
  });

  it('a removal the server refused (403) stays refused, even when the participant offers reject', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    const refusing: GatekeeperUcwa = {
      ...h.server.ucwa,
      removeParticipants: async (items) =>
        items.map(() => ({
          ok: false as const,
          error: new UcwaError({ status: 403, method: 'POST', href: `${href}/reject` }),
        })),
    };
    const guard = h.guardFor('run-1', refusing);
    h.server.present.set(href, guest(href));
    expect(
      await guard.guard({
        participant: guest(href),
        participantHref: href,
        conversationHref: meeting,
        receivedAt: 0,
      }),
    ).toBe('concluded');
    h.advance(REKNOCK_AFTER_MS - 1);
    expect(
      await guard.guard({
        participant: guest(href),
        participantHref: href,
        conversationHref: meeting,
        receivedAt: 0,
      }),
    ).toBe('skipped');
    expect(outcomes(h).map(([outcome, detail]) => [outcome, String(detail).slice(0, 26)])).toEqual([
      ['not-permitted', 'refused by the server (403'],
    ]);
  });

  it('a removal recorded as done by a run that died before reporting it is reported by the next, not repeated', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    h.server.present.set(href, guest(href));
    // Run 1 removes the guest and records it (acted), then its audit write fails and it is gone.
    h.audit.failNext.push(new RestError('storage is unavailable', { statusCode: 503 }));
    await expect(
      h
        .guardFor('run-1')
        .guard({ participant: guest(href), participantHref: href, conversationHref: meeting, receivedAt: 0 }),
    ).rejects.toThrow(/unavailable/);
    const record = (await h.claims.read(effectKeys.removal(href))) as ClaimRecord;
    expect(record).toMatchObject({ state: 'acted', outcome: 'done' });
    expect(h.audit.rows.size).toBe(0);

    // Run 2 sees the event again; the guest is gone by now (removed), so it finishes what run 1 recorded.
    expect(await h.guardFor('run-2').finishIfUnfinished(href, 0)).toBe('concluded');
    expect(h.server.removals).toHaveLength(1);
    expect(outcomes(h)).toEqual([['done', 'rejected from the lobby']]);
    expect(h.outbox.notices.size).toBe(1);
    expect(await h.claims.read(effectKeys.removal(href))).toMatchObject({ state: 'done', outcome: 'done' });
  });

  it('an acted removal is reported from its record even when the event still shows the guest waiting', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    h.server.present.set(href, guest(href));
    h.audit.failNext.push(new RestError('storage is unavailable', { statusCode: 503 }));
    await expect(
      h
        .guardFor('run-1')
        .guard({ participant: guest(href), participantHref: href, conversationHref: meeting, receivedAt: 0 }),
    ).rejects.toThrow(/unavailable/);
    // A stale copy (the event that announced the knock, re-read from the saved cursor) changes nothing.
    expect(
      await h
        .guardFor('run-2')
        .guard({ participant: guest(href), participantHref: href, conversationHref: meeting, receivedAt: 0 }),
    ).toBe('concluded');
    expect(h.server.removals).toHaveLength(1);
    expect(outcomes(h)).toEqual([['done', 'rejected from the lobby']]);
  });

  it('a request the server answered with an error did nothing: under a re-created application it closes quietly', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    h.server.present.set(href, guest(href));
    const expired: GatekeeperUcwa = {
      ...h.server.ucwa,
      removeParticipants: async () => {
        throw new UcwaError({
          status: 410,
          body: { code: 'Gone', subcode: 'InactiveApplicationExpired' },
          method: 'POST',
          href,
        });
      },
    };
    await expect(
      h.guardFor('run-1', expired).guard({
        participant: guest(href),
        participantHref: href,
        conversationHref: `${APP}/conversations/C1`,
        receivedAt: 0,
      }),
    ).rejects.toThrow(/410/);
    const record = (await h.claims.read(effectKeys.removal(href))) as ClaimRecord;
    expect(record.sentAt).toBe('');
    h.advance(61_000);
    await h
      .guardFor('run-2', fakeUcwa(`${APP}-new`).ucwa)
      .resume(record, JSON.parse(record.report ?? '{}'), 0);

    expect([...h.audit.rows.values()].map((row) => row.outcome)).toEqual(['skipped']);
    expect(h.outbox.notices.size).toBe(0);
  });
});

describe('a guest whose href leads nowhere, seen again under another one', () => {
  const newApp = `${APP}-new`;

  it('a request that went out under a dropped application while the guest still waits under the new one: closed quietly', async () => {
    const h = lobbyHarness();
    const { record } = await removalSentThenKilled(h, { reached: false });
    // The old application was gone before the request reached it: nobody was removed.
    h.advance(61_000);
    const stillThere = guest(guestHref(newApp));
    await h
      .guardFor('run-2', fakeUcwa(newApp).ucwa, async () => [stillThere])
      .resume(record, JSON.parse(record.report ?? '{}'), 0);

    expect([...h.audit.rows.values()].map((row) => [row.outcome, row.detail])).toEqual([
      ['skipped', 'no longer at this address: waiting under another one, and guarded there'],
    ]);
    expect(h.outbox.notices.size).toBe(0);
  });

  // The 10-minute soak: a burst of 25 removals cut off by a kill under an application the server dropped;
  // the next run removed the guests under the new one, then recovery reported the old claims as removals
  // too — two audit rows and two notices for each guest.
  it.each([
    ['with a SIP address', 'sip:anon-k24@public.example'],
    ['without one (anonymous guests often have none)', undefined],
  ])(
    'a removal cut off under a dropped application, then done under the new one, is reported once: %s',
    async (_label, uri) => {
      const h = lobbyHarness();
      const withUri = (href: string) => ({ ...guest(href), ...(uri ? { uri } : {}) }) as Participant;
      const oldHref = guestHref(APP);
      let sent!: () => void;
      const requestSent = new Promise<void>((resolve) => {
        sent = resolve;
      });
      const dying: GatekeeperUcwa = {
        ...h.server.ucwa,
        removeParticipants: async () => {
          sent();
          return new Promise(() => {});
        },
      };
      void h.guardFor('run-1', dying).guard({
        participant: withUri(oldHref),
        participantHref: oldHref,
        conversationHref: `${APP}/conversations/C1`,
        receivedAt: 0,
      });
      await requestSent;
      const record = (await h.claims.read(effectKeys.removal(oldHref))) as ClaimRecord;
      // The next run, under a new application, sees the guest at their new address and removes them there.
      const next = fakeUcwa(newApp);
      const newHref = guestHref(newApp);
      next.present.set(newHref, withUri(newHref));
      const lobbies = async () => [...next.present.values()];
      h.advance(5_000);
      await h.guardFor('run-2', next.ucwa, lobbies).guard({
        participant: withUri(newHref),
        participantHref: newHref,
        conversationHref: `${newApp}/conversations/C1`,
        receivedAt: 0,
      });
      // Then its recovery finds the first run's claim.
      h.advance(61_000);
      await h.guardFor('run-2', next.ucwa, lobbies).resume(record, JSON.parse(record.report ?? '{}'), 0);

      const rows = [...h.audit.rows.values()].map((row) => [row.outcome, row.detail]);
      expect(rows.filter(([outcome]) => outcome === 'done')).toEqual([['done', 'rejected from the lobby']]);
      expect(rows).toContainEqual(['skipped', SEEN_ELSEWHERE.detail]);
      expect(next.removals).toEqual([newHref]);
    },
  );

  // The 10-minute soak at ba58108: a burst cut off by a kill as the application was dropped; the next run
  // sent the removals again under the new one and was killed too, before recording them. Both claims sent,
  // both find nobody: only the request under the new application can have removed the guests.
  it.each([
    ['old claim first', ['old', 'new']],
    ['new claim first', ['new', 'old']],
  ] as const)(
    'two removals of one guest cut off by kills, under a dropped application and the new one, are reported once (%s)',
    async (_label, order) => {
      const h = lobbyHarness();
      const sendThenDie = (ucwa: GatekeeperUcwa, reached: boolean) => {
        let sent!: () => void;
        const requestSent = new Promise<void>((resolve) => {
          sent = resolve;
        });
        const dying: GatekeeperUcwa = {
          ...ucwa,
          removeParticipants: async (items) => {
            if (reached) await ucwa.removeParticipants(items);
            sent();
            return new Promise(() => {});
          },
        };
        return { dying, requestSent };
      };
      const oldHref = guestHref(APP);
      const first = sendThenDie(h.server.ucwa, false);
      void h.guardFor('run-1', first.dying).guard({
        participant: guest(oldHref),
        participantHref: oldHref,
        conversationHref: `${APP}/conversations/C1`,
        receivedAt: 0,
      });
      await first.requestSent;
      const next = fakeUcwa(newApp);
      const newHref = guestHref(newApp);
      next.present.set(newHref, guest(newHref));
      const lobbies = async () => [...next.present.values()];
      h.advance(5_000);
      const second = sendThenDie(next.ucwa, true);
      void h.guardFor('run-2', second.dying, lobbies).guard({
        participant: guest(newHref),
        participantHref: newHref,
        conversationHref: `${newApp}/communication/conversations/C1`,
        receivedAt: 0,
      });
      await second.requestSent;

      h.advance(61_000);
      const claims = {
        old: (await h.claims.read(effectKeys.removal(oldHref))) as ClaimRecord,
        new: (await h.claims.read(effectKeys.removal(newHref))) as ClaimRecord,
      };
      expect([claims.old.sentAt, claims.new.sentAt].every(Boolean)).toBe(true);
      for (const which of order) {
        const record = claims[which];
        await h.guardFor('run-3', next.ucwa, lobbies).resume(record, JSON.parse(record.report ?? '{}'), 0);
      }

      const rows = [...h.audit.rows.values()].map((row) => [row.participant, row.outcome, row.detail]);
      expect(rows).toHaveLength(2);
      expect(rows).toContainEqual([newHref, 'done', SENT_THEN_GONE.detail]);
      expect(rows).toContainEqual([oldHref, 'skipped', SEEN_ELSEWHERE.detail]);
      expect(h.outbox.notices.size).toBe(1);
      expect(next.removals).toEqual([newHref]);
    },
  );

  it('while the new application has not shown its lobbies yet, the claim waits for the next round', async () => {
    const h = lobbyHarness();
    const { href, record } = await removalSentThenKilled(h, { reached: false });
    h.advance(61_000);
    const result = await h
      .guardFor('run-2', fakeUcwa(newApp).ucwa, async () => undefined)
      .resume(record, JSON.parse(record.report ?? '{}'), 0);

    expect(result).toBe('deferred');
    expect(h.audit.rows.size).toBe(0);
    expect((await h.claims.read(effectKeys.removal(href)))?.state).toBe('pending');
  });

  it('a participant gone from this href but waiting under another is not reported as having left', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    const report = {
      subject: 'lobby',
      participant: href,
      meeting: `${APP}/conversations/C1`,
      facts: { anonymous: true, name: 'Guest' },
      decision: { action: 'eject', rule: 'anonymous', reason: 'anonymous guest', notify: true },
      notify: true,
    };
    await h.claims.open(effectKeys.removal(href), fresh({ owner: 'dead', now: 0 }, JSON.stringify(report)));
    h.advance(61_000);
    const elsewhere = guest(`${APP}/communication/conversations/C2/participants/guest`);
    await h.guardFor('run-2', h.server.ucwa, async () => [elsewhere]).finishIfUnfinished(href, 0);

    expect([...h.audit.rows.values()].map((row) => row.outcome)).toEqual(['skipped']);
    expect(h.server.removals).toEqual([]);
  });

  // The 10-minute soak: a reject answered 404 (the meeting re-joined, its conversation replaced) was recorded
  // as "already left", and the guest waited 414 s for the sweep.
  it('a removal answered 404 while the guest waits under another href is not "already left"', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    const elsewhere = guest(`${APP}/communication/conversations/C2/participants/guest`);
    await h
      .guardFor('run-1', answered404(h, href), async () => [elsewhere])
      .guard({
        participant: guest(href),
        participantHref: href,
        conversationHref: `${APP}/conversations/C1`,
        receivedAt: 0,
      });

    expect([...h.audit.rows.values()].map((row) => [row.outcome, row.detail])).toEqual([
      ['skipped', 'no longer at this address: waiting under another one, and guarded there'],
    ]);
    expect(h.outbox.notices.size).toBe(0);
  });

  it('while the lobbies cannot be read, a removal answered 404 is tried again later, not guessed "already left"', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    const result = await h
      .guardFor('run-1', answered404(h, href), async () => undefined)
      .guard({
        participant: guest(href),
        participantHref: href,
        conversationHref: `${APP}/conversations/C1`,
        receivedAt: 0,
      });

    expect(result).toBe('deferred');
    expect(h.audit.rows.size).toBe(0);
    expect(await h.claims.read(effectKeys.removal(href))).toMatchObject({
      state: 'pending',
      owner: '',
      attempts: 1,
    });
  });
});

describe('review of the href-leads-nowhere path', () => {
  const URI = 'sip:anon-r1@public.example';
  const withUri = (href: string) => ({ ...guest(href), uri: URI }) as Participant;

  it("a claim's own row does not count as the guest seen elsewhere", async () => {
    const h = lobbyHarness();
    const { record } = await removalSentThenKilled(h);
    // The request landed; the run died before recording the removal. The claim is in the current meeting.
    h.advance(61_000);
    const report = { ...JSON.parse(record.report ?? '{}'), facts: { anonymous: true, uri: URI } };
    await h.guardFor('run-2', h.server.ucwa, async () => []).resume(record, report, 0);
    expect([...h.audit.rows.values()].map((row) => [row.outcome, row.detail])).toEqual([
      ['done', SENT_THEN_GONE.detail],
    ]);
  });

  it('a guest back at the very href a 404 came from is tried again, not closed as waiting elsewhere', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    const result = await h
      .guardFor('run-1', answered404(h, href), async () => [withUri(href)])
      .guard({
        participant: withUri(href),
        participantHref: href,
        conversationHref: `${APP}/conversations/C1`,
        receivedAt: 0,
      });
    expect(result).toBe('deferred');
    expect(h.audit.rows.size).toBe(0);
  });

  it('lobbies that stay unreadable: the last try takes the best guess instead of an alert', async () => {
    const h = lobbyHarness();
    const href = guestHref(APP);
    const report = {
      subject: 'lobby',
      participant: href,
      meeting: `${APP}/conversations/C1`,
      facts: { anonymous: true, name: 'Guest' },
      decision: { action: 'eject', rule: 'anonymous', reason: 'anonymous guest', notify: true },
      notify: true,
    };
    await h.claims.open(effectKeys.removal(href), {
      ...fresh({ owner: '', now: Date.parse('2026-06-01T12:00:00Z') }, JSON.stringify(report)),
      attempts: 2,
    });
    const result = await h
      .guardFor('run-2', h.server.ucwa, async () => undefined)
      .finishIfUnfinished(href, 0);
    expect(result).toBe('concluded');
    expect([...h.audit.rows.values()].map((row) => row.outcome)).toEqual(['already-left']);
  });
});

/** The server answers every removal 404: the participant is not at this href (any more). */
function answered404(h: ReturnType<typeof lobbyHarness>, href: string): GatekeeperUcwa {
  return {
    ...h.server.ucwa,
    removeParticipants: async (items) =>
      items.map(() => ({ ok: false as const, error: new UcwaError({ status: 404, method: 'POST', href }) })),
  };
}
