import { describe, expect, it } from 'vitest';
import { fresh } from '../../shared/gatekeeper/claim-lifecycle.js';
import { effectKeys } from '../../shared/gatekeeper/effect-keys.js';
import { Gatekeeper } from '../../shared/gatekeeper/gatekeeper.js';
import type { GatekeeperUcwa } from '../../shared/gatekeeper/ports.js';
import { DEFAULT_POLICY } from '../../shared/policy/policy.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import { UcwaError } from '../../shared/ucwa/errors.js';
import { APP, guest, lobbyHarness } from '../helpers/lobby-harness.js';

const conversation = `${APP}/communication/conversations/C1`;
const hrefOf = (n: number) => `${conversation}/participants/guest${n}`;

describe('recovering effects a dead run left unfinished', () => {
  it('an outage on one claim does not stop the others; the caller still hears of it', async () => {
    const h = lobbyHarness();
    for (const n of [1, 2]) {
      h.server.present.set(hrefOf(n), guest(hrefOf(n)));
      const report = {
        subject: 'lobby',
        participant: hrefOf(n),
        meeting: conversation,
        facts: { anonymous: true },
        decision: { action: 'eject', rule: 'anonymous', reason: 'anonymous guest', notify: true },
        notify: true,
      };
      await h.claims.open(
        effectKeys.removal(hrefOf(n)),
        fresh({ owner: 'dead', now: n }, JSON.stringify(report)),
      );
    }
    const unavailable = new UcwaError({ status: 503, method: 'GET', href: hrefOf(1) });
    const get = h.server.ucwa.get;
    const ucwa: GatekeeperUcwa = {
      ...h.server.ucwa,
      get: ((rel: 'participant', href: string) =>
        href === hrefOf(1) ? Promise.reject(unavailable) : get(rel, href)) as GatekeeperUcwa['get'],
    };
    h.advance(61_000);
    const gatekeeper = new Gatekeeper({
      ucwa,
      policy: DEFAULT_POLICY,
      mode: 'enforce',
      claims: h.claims,
      audit: h.audit,
      outbox: h.outbox,
      telemetry: new MemoryTelemetry(),
      log: { info: () => {}, warn: () => {}, error: () => {} },
      now: () => new Date(Date.parse('2026-06-01T12:01:01Z')),
    });

    await expect(gatekeeper.recover()).rejects.toBe(unavailable);
    expect(h.server.removals).toEqual([hrefOf(2)]);
  });

  it('a claim an earlier version keyed by a relative href is finished under the current application, not dropped', async () => {
    const h = lobbyHarness();
    const absolute = hrefOf(1);
    const relative = new URL(absolute).pathname;
    h.server.present.set(absolute, guest(relative));
    const report = {
      subject: 'lobby',
      participant: relative,
      meeting: conversation,
      facts: { anonymous: true },
      decision: { action: 'eject', rule: 'anonymous', reason: 'anonymous guest', notify: true },
      notify: true,
    };
    await h.claims.open(
      effectKeys.removal(relative),
      fresh({ owner: 'dead', now: 0 }, JSON.stringify(report)),
    );
    const gatekeeper = new Gatekeeper({
      ucwa: h.server.ucwa,
      policy: DEFAULT_POLICY,
      mode: 'enforce',
      claims: h.claims,
      audit: h.audit,
      outbox: h.outbox,
      telemetry: new MemoryTelemetry(),
      log: { info: () => {}, warn: () => {}, error: () => {} },
      now: () => new Date(Date.parse('2026-06-01T12:01:01Z')),
    });

    await gatekeeper.recover();
    expect(h.server.removals).toEqual([absolute]);
    expect([...h.audit.rows.values()].map((row) => row.outcome)).toEqual(['done']);
  });
});
