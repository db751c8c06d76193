/**
 * The soak's schedule: every event (knocks, IMs) and every fault (UCWA, storage, chat, process kills) with
 * its time from the start of the fault phase, derived from the seed alone. The same seed and duration give
 * the same plan (see `planDigest`); only how the processes' timing interleaves with it differs between runs.
 */
import { createHash } from 'node:crypto';
import type { Mode } from '../../shared/gatekeeper/outcome.js';
import type { ParticipantSeed } from '../ucwa-sim/index.js';

export type { Mode };

/** Odd values in an event's embedded copy; `invalid` ones break the schema, so the event must be rejected. */
export const TAMPERS = {
  'anonymous-as-string': { on: 'knock', invalid: true },
  'anonymous-missing': { on: 'knock', invalid: false },
  'unknown-enums': { on: 'knock', invalid: false },
  'huge-name': { on: 'knock', invalid: false },
  'no-capabilities': { on: 'knock', invalid: false },
  'from-anonymous-as-number': { on: 'im', invalid: true },
  'from-unknown-enums': { on: 'im', invalid: false },
  'from-huge-name': { on: 'im', invalid: false },
} as const;
export type Tamper = keyof typeof TAMPERS;

export interface KnockItem {
  kind: 'knock';
  at: number;
  /** Unique, fixed width, at the start of the guest's name: how every record is attributed to the guest. */
  token: string;
  meeting: number;
  anonymous: boolean;
  guest: ParticipantSeed;
  embed: boolean;
  tamper?: Tamper;
  /** The guest gives up and leaves by itself this long after knocking. */
  leaveAfterMs?: number;
  /** Kill the worker this long after the knock (a crash in the middle of handling it). */
  killAfterMs?: number;
}

export interface ImItem {
  kind: 'im';
  at: number;
  token: string;
  from: ParticipantSeed;
  message: string;
  tamper?: Tamper;
}

/** Regex sources (plans are JSON) of the UCWA requests a fault may hit. */
export const UCWA_PATHS = {
  events: '/events\\?',
  batch: '/batch$',
  participant: '/participants/[^/?]+$',
  removal: '/(eject|reject)$',
  lobby: '/lobby$',
  conversations: '/conversations$',
  any: '/ucwa/',
} as const;
export type UcwaPath = keyof typeof UCWA_PATHS;

export type FaultItem =
  | { kind: 'ucwa-status'; at: number; status: number; path: UcwaPath; times: number; retryAfter?: string }
  | { kind: 'ucwa-drop'; at: number; path: UcwaPath; times: number; phase: 'before' | 'after' }
  | { kind: 'ucwa-latency'; at: number; durationMs: number; latencyMs: number }
  | { kind: 'ucwa-expire'; at: number; how: '404' | '410' }
  | { kind: 'storage-outage'; at: number; durationMs: number; service: 'table' | 'blob' | 'both' }
  | { kind: 'storage-slow'; at: number; service: 'table' | 'blob'; latencyMs: number; times: number }
  | { kind: 'chat-fail'; at: number; count: number; status: number; retryAfter?: string }
  | { kind: 'chat-stall'; at: number; durationMs: number }
  | { kind: 'chat-down'; at: number; durationMs: number }
  | {
      kind: 'kill';
      at: number;
      /** `timer`: at `at`; `after-eject` / `after-chat`: armed at `at`, fires `delayMs` after the next one. */
      trigger: 'timer' | 'after-eject' | 'after-chat';
      delayMs: number;
    };

export interface Plan {
  seed: number;
  durationMs: number;
  mode: Mode;
  meetings: string[];
  traffic: (KnockItem | ImItem)[];
  faults: FaultItem[];
  /** Restart delays after kills, used in order. */
  restartDelaysMs: number[];
}

/** A short fingerprint of the plan: equal for equal seeds, durations and modes. */
export function planDigest(plan: Plan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 16);
}

/** What `--without` can take out of a plan: fault kinds, plus odd payloads and guests leaving by themselves. */
export const REMOVABLE = [
  'ucwa-status',
  'ucwa-drop',
  'ucwa-latency',
  'ucwa-expire',
  'storage-outage',
  'storage-slow',
  'chat-fail',
  'chat-stall',
  'chat-down',
  'kill',
  'odd-invalid',
  'odd',
  'leave',
] as const;
export type Removable = (typeof REMOVABLE)[number];

/** The plan without some kinds of fault (to tell which one a failure needs); same seed, same remainder. */
export function without(plan: Plan, kinds: readonly Removable[]): Plan {
  const drop = new Set<string>(kinds);
  const keepTamper = (tamper: Tamper | undefined) =>
    tamper !== undefined && !drop.has('odd') && !(drop.has('odd-invalid') && TAMPERS[tamper].invalid);
  return {
    ...plan,
    faults: plan.faults.filter((fault) => !drop.has(fault.kind)),
    traffic: plan.traffic.map((item) => {
      const { tamper, ...rest } = item;
      const kept = keepTamper(tamper) ? { ...rest, tamper } : rest;
      if (kept.kind !== 'knock') return kept as ImItem;
      const { leaveAfterMs, killAfterMs, ...knock } = kept as KnockItem;
      return {
        ...knock,
        ...(leaveAfterMs !== undefined && !drop.has('leave') && { leaveAfterMs }),
        ...(killAfterMs !== undefined && !drop.has('kill') && { killAfterMs }),
      };
    }),
  };
}

/** The odd values: merged over the event's embedded copy only (see dev/ucwa-sim README, odd payloads). */
export function tamperPatch(tamper: Tamper, token: string): Record<string, unknown> {
  const huge = `${token} ${'Ω\u0007\u202e<b>&'.repeat(400)}`;
  const patches: Record<Tamper, ParticipantSeed | Record<string, unknown>> = {
    'anonymous-as-string': { anonymous: 'true' },
    'anonymous-missing': { anonymous: null },
    'unknown-enums': { role: 'Presenter', sourceNetwork: 'Martian', extraProperty: { nested: [1, 2] } },
    'huge-name': { name: huge },
    'no-capabilities': { _links: {} },
    'from-anonymous-as-number': { anonymous: 1 },
    'from-unknown-enums': { role: 'Presenter', sourceNetwork: 'Martian' },
    'from-huge-name': { name: huge },
  };
  if (!(tamper in TAMPERS)) throw new Error(`soak: unknown tamper ${tamper}`);
  return patches[tamper] as Record<string, unknown>;
}
