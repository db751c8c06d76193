import { RestError } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { effectKeys } from '../../shared/gatekeeper/effect-keys.js';
import { handleEventBatch } from '../../shared/gatekeeper/event-batch.js';
import type { InvitationGuard } from '../../shared/gatekeeper/invitation-guard.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import { UcwaError } from '../../shared/ucwa/errors.js';
import type { ChannelEvent } from '../../shared/ucwa/event-channel.js';
import { APP, guest, lobbyHarness } from '../helpers/lobby-harness.js';

const conversation = `${APP}/communication/conversations/C1`;
const hrefOf = (n: number) => `${conversation}/participants/guest${n}`;

/** A knock announced by link only: the participant must be read before anything is decided. */
function knock(n: number): ChannelEvent {
  return {
    link: { rel: 'participant', href: hrefOf(n) },
    in: { rel: 'lobby', href: `${conversation}/lobby` },
    type: 'added',
    sender: { rel: 'conversation', href: conversation },
  } as ChannelEvent;
}

describe('one batch of lobby events', () => {
  it('a transient failure reading one participant does not hold up the others; the batch is retried', async () => {
    const h = lobbyHarness();
    for (const n of [1, 2, 3]) h.server.present.set(hrefOf(n), guest(hrefOf(n)));
    const unavailable = new UcwaError({ status: 503, method: 'GET', href: hrefOf(2) });
    h.server.ucwa.getMany = (async (_rel: string, hrefs: readonly string[]) =>
      hrefs.map((href) =>
        href === hrefOf(2)
          ? { href, ok: false, error: unavailable }
          : { href, ok: true, resource: h.server.present.get(href) },
      )) as typeof h.server.ucwa.getMany;
    const lobby = h.guardFor('run-1');
    const deps = {
      ucwa: h.server.ucwa,
      claims: h.claims,
      lobby,
      invitations: {} as InvitationGuard,
      telemetry: new MemoryTelemetry(),
      log: { info: () => {}, warn: () => {}, error: () => {} },
    };

    await expect(
      handleEventBatch(deps, [knock(1), knock(2), knock(3)], { trusted: true, receivedAt: 0 }),
    ).rejects.toBe(unavailable);
    expect(h.server.removals.sort()).toEqual([hrefOf(1), hrefOf(3)]);
  });
});

describe('hrefs as UCWA sends them (relative)', () => {
  it('a knock announced with a relative href is claimed under the absolute one the sweep also uses', async () => {
    const h = lobbyHarness();
    const absolute = hrefOf(1);
    const relative = new URL(absolute).pathname;
    h.server.present.set(absolute, guest(relative));
    const event = { ...knock(1), link: { rel: 'participant', href: relative } } as ChannelEvent;
    const deps = {
      ucwa: h.server.ucwa,
      claims: h.claims,
      lobby: h.guardFor('run-1'),
      invitations: {} as InvitationGuard,
      telemetry: new MemoryTelemetry(),
      log: { info: () => {}, warn: () => {}, error: () => {} },
    };
    await handleEventBatch(deps, [event], { trusted: true, receivedAt: 0 });

    expect(h.server.removals).toEqual([absolute]);
    expect([...h.claims.rows.keys()]).toEqual([effectKeys.removal(absolute)]);
  });
});

describe('a burst of knocks in one batch', () => {
  it("opens every guest's claim in one store call, marked as sent, and removes them in one batch", async () => {
    const h = lobbyHarness();
    const other = `${APP}/communication/conversations/C2`;
    const hrefs = [...[1, 2, 3].map(hrefOf), `${other}/participants/guest4`];
    for (const href of hrefs) h.server.present.set(href, guest(href));
    const batches: number[] = [];
    const removeParticipants = h.server.ucwa.removeParticipants;
    h.server.ucwa.removeParticipants = (items) => {
      batches.push(items.length);
      return removeParticipants(items);
    };
    const writes: string[] = [];
    const write = h.claims.write.bind(h.claims);
    h.claims.write = (record, changes) => {
      writes.push(changes.state ?? Object.keys(changes).join('+'));
      return write(record, changes);
    };
    const events = hrefs.map(
      (href, n) => ({ ...knock(n), link: { rel: 'participant', href } }) as ChannelEvent,
    );
    const deps = {
      ucwa: h.server.ucwa,
      claims: h.claims,
      lobby: h.guardFor('run-1'),
      invitations: {} as InvitationGuard,
      telemetry: new MemoryTelemetry(),
      log: { info: () => {}, warn: () => {}, error: () => {} },
    };

    expect(await handleEventBatch(deps, events, { trusted: true, receivedAt: 0 })).toMatchObject({
      handled: 4,
    });
    expect(h.claims.openedTogether.map((keys) => keys.sort())).toEqual([
      hrefs.map(effectKeys.removal).sort(),
    ]);
    expect(batches).toEqual([4]);
    // No write between a claim and its removal: the claims were created saying the request went out.
    expect(writes.filter((w) => w !== 'acted' && w !== 'done')).toEqual([]);
    for (const href of hrefs)
      expect(await h.claims.read(effectKeys.removal(href))).toMatchObject({
        state: 'done',
        outcome: 'done',
        sentAt: '2026-06-01T12:00:00.000Z',
      });
  });

  it("one meeting's claims failing (an outage) hold up neither the other meeting's removals nor leave a claim behind", async () => {
    const h = lobbyHarness();
    const other = `${APP}/communication/conversations/C2`;
    const hrefs = [hrefOf(1), hrefOf(2), `${other}/participants/guest3`];
    for (const href of hrefs) h.server.present.set(href, guest(href));
    const outage = new RestError('storage is unavailable', { statusCode: 503 });
    const open = h.claims.open.bind(h.claims);
    h.claims.open = (key, fresh) => (key.includes('/C2/') ? Promise.reject(outage) : open(key, fresh));
    const events = hrefs.map(
      (href, n) => ({ ...knock(n), link: { rel: 'participant', href } }) as ChannelEvent,
    );
    const deps = {
      ucwa: h.server.ucwa,
      claims: h.claims,
      lobby: h.guardFor('run-1'),
      invitations: {} as InvitationGuard,
      telemetry: new MemoryTelemetry(),
      log: { info: () => {}, warn: () => {}, error: () => {} },
    };

    await expect(handleEventBatch(deps, events, { trusted: true, receivedAt: 0 })).rejects.toBe(outage);
    expect(h.server.removals.sort()).toEqual([hrefOf(1), hrefOf(2)]);
    // The batch is read again: the guest of C2 is claimed then, by a claim that never said "sent" before.
    expect(await h.claims.read(effectKeys.removal(hrefs[2] ?? ''))).toBeUndefined();
  });
});
