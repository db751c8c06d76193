import { EffectRunner } from '../../shared/gatekeeper/effect-runner.js';
import { LobbyGuard } from '../../shared/gatekeeper/lobby-guard.js';
import type { Logger } from '../../shared/gatekeeper/logger.js';
import type { GatekeeperUcwa } from '../../shared/gatekeeper/ports.js';
import { DEFAULT_POLICY } from '../../shared/policy/policy.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import { UcwaError } from '../../shared/ucwa/errors.js';
import { hrefOf } from '../../shared/ucwa/links.js';
import type { Participant } from '../../shared/ucwa/schemas.js';
import { MemoryAudit, MemoryClaimStore, MemoryOutbox } from './memory-ports.js';

/** A lobby guard over in-memory ports and a fake server: the fast tests of the lobby's use cases. */
export const APP = 'https://pool/ucwa/oauth/v1/applications/A1';
export const guestHref = (app: string) => `${app}/communication/conversations/C1/participants/guest`;

export function guest(href: string): Participant {
  return {
    anonymous: true,
    inLobby: true,
    name: 'Guest',
    _links: { self: { href }, reject: { href: `${href}/reject` } },
  } as Participant;
}

/** The few UCWA calls the guard makes, over a map of the server's current participants. */
export function fakeUcwa(app: string) {
  const present = new Map<string, Participant>();
  const removals: string[] = [];
  const ucwa: GatekeeperUcwa = {
    currentApplication: { href: app },
    // UCWA links are mostly relative; the client resolves them against the pool, as this does.
    resolve: (href) => new URL(href, new URL(app).origin).href,
    get: (async (_rel: string, href: string) => {
      const found = present.get(ucwa.resolve(href));
      if (!found) throw new UcwaError({ status: 404, method: 'GET', href });
      return found;
    }) as GatekeeperUcwa['get'],
    getMany: (async (_rel: string, hrefs: readonly string[]) =>
      hrefs.map((given) => {
        const href = ucwa.resolve(given);
        const resource = present.get(href);
        return resource
          ? { href, ok: true, resource }
          : { href, ok: false, error: new UcwaError({ status: 404, method: 'GET', href }) };
      })) as GatekeeperUcwa['getMany'],
    removeParticipants: async (items) => {
      for (const { participant } of items) {
        const self = ucwa.resolve(hrefOf(participant, 'self') ?? '');
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

/** The current application's one meeting (C1), and who `waiting` says waits in it. */
function lobbiesOf(ucwa: GatekeeperUcwa, waiting: () => Promise<Participant[] | undefined>) {
  return async () => {
    const guests = await waiting();
    const app = ucwa.currentApplication?.href ?? APP;
    return guests && { waiting: guests, meetings: [`${app}/communication/conversations/C1`] };
  };
}

export function lobbyHarness(app = APP) {
  let now = Date.parse('2026-06-01T12:00:00Z');
  const claims = new MemoryClaimStore();
  const audit = new MemoryAudit();
  const outbox = new MemoryOutbox();
  const telemetry = new MemoryTelemetry();
  const log: Logger = { info: () => {}, warn: () => {}, error: () => {} };
  const server = fakeUcwa(app);
  const guardFor = (
    owner: string,
    ucwa: GatekeeperUcwa = server.ucwa,
    waiting?: () => Promise<Participant[] | undefined>,
  ) => {
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
      ...(waiting ? { waiting: lobbiesOf(ucwa, waiting) } : {}),
    });
  };
  return { claims, audit, outbox, server, guardFor, advance: (ms: number) => (now += ms) };
}
