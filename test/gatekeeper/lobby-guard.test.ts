import { describe, expect, it } from 'vitest';
import { fresh } from '../../shared/gatekeeper/claim-lifecycle.js';
import { effectKeys } from '../../shared/gatekeeper/effect-keys.js';
import { EffectRunner } from '../../shared/gatekeeper/effect-runner.js';
import { LobbyGuard } from '../../shared/gatekeeper/lobby-guard.js';
import type { Logger } from '../../shared/gatekeeper/logger.js';
import type { ClaimRecord, GatekeeperUcwa } from '../../shared/gatekeeper/ports.js';
import { DEFAULT_POLICY } from '../../shared/policy/policy.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import { UcwaError } from '../../shared/ucwa/errors.js';
import { hrefOf } from '../../shared/ucwa/links.js';
import type { Participant } from '../../shared/ucwa/schemas.js';
import { MemoryAudit, MemoryClaimStore, MemoryOutbox } from '../helpers/memory-ports.js';

const APP = 'https://pool/ucwa/oauth/v1/applications/A1';
const guestHref = (app: string) => `${app}/communication/conversations/C1/participants/guest`;

function guest(href: string): Participant {
  return {
    anonymous: true,
    inLobby: true,
    name: 'Guest',
    _links: { self: { href }, reject: { href: `${href}/reject` } },
  } as Participant;
}

/** The few UCWA calls the guard makes, over a map of the server's current participants. */
function fakeUcwa(app: string) {
  const present = new Map<string, Participant>();
  const removals: string[] = [];
  const ucwa: GatekeeperUcwa = {
    currentApplication: { href: app },
    resolve: (href) => href,
    get: (async (_rel: string, href: string) => {
      const found = present.get(href);
      if (!found) throw new UcwaError({ status: 404, method: 'GET', href });
      return found;
    }) as GatekeeperUcwa['get'],
    getMany: async () => [],
    removeParticipants: async (items) => {
      for (const { participant } of items) {
        const self = hrefOf(participant, 'self') ?? '';
        removals.push(self);
        present.delete(self);
      }
      return items.map(() => ({ ok: true as const }));
    },
    accept: async () => {},
    decline: async () => {},
    isOwnInvitation: async () => false,
  };
  return { ucwa, present, removals };
}

function harness(app = APP) {
  let now = Date.parse('2026-06-01T12:00:00Z');
  const claims = new MemoryClaimStore();
  const audit = new MemoryAudit();
  const outbox = new MemoryOutbox();
  const telemetry = new MemoryTelemetry();
  const log: Logger = { info: () => {}, warn: () => {}, error: () => {} };
  const server = fakeUcwa(app);
  const guardFor = (owner: string, ucwa: GatekeeperUcwa = server.ucwa) => {
    const common = {
      claims,
      audit,
      outbox,
      telemetry,
      log,
      mode: 'enforce' as const,
      now: () => new Date(now),
    };
    const effects = new EffectRunner({ ...common, owner, staleAfterMs: 60_000, maxAttempts: 3 });
    return new LobbyGuard({
      ucwa,
      policy: DEFAULT_POLICY,
      mode: 'enforce',
      effects,
      claims,
      telemetry,
      now: common.now,
    });
  };
  return { claims, audit, outbox, server, guardFor, advance: (ms: number) => (now += ms) };
}

/** Run 1 sends the removal and dies before the answer: its guard never returns, its claim stays pending. */
async function removalSentThenKilled(h: ReturnType<typeof harness>) {
  const href = guestHref(APP);
  h.server.present.set(href, guest(href));
  let sent!: () => void;
  const requestSent = new Promise<void>((resolve) => {
    sent = resolve;
  });
  const dying: GatekeeperUcwa = {
    ...h.server.ucwa,
    removeParticipants: async (items) => {
      await h.server.ucwa.removeParticipants(items);
      sent();
      return new Promise(() => {});
    },
  };
  void h.guardFor('run-1', dying).guard(guest(href), href, `${APP}/conversations/C1`, 0);
  await requestSent;
  const record = (await h.claims.read(effectKeys.removal(href))) as ClaimRecord;
  expect(record.state).toBe('pending');
  return { href, record };
}

describe('a removal whose request went out before the process died', () => {
  it('is reported as a removal when its application has been re-created since', async () => {
    const h = harness();
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
    const h = harness();
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
    const h = harness();
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
