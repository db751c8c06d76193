import type { Notice } from '../chat/notice.js';
import type { AuditEntry } from '../store/audit-log.js';
import type { RemovalResult } from '../ucwa/client.js';
import type { KnownRel, ResourceOf } from '../ucwa/parse.js';
import type { Participant, UcwaResource } from '../ucwa/schemas.js';
import type { OutcomeStatus } from './outcome.js';

/**
 * The small interfaces the gatekeeper's use cases depend on. Production wires them to Azure Tables and the
 * UCWA client; the fast tests to in-memory fakes (test/helpers/memory-ports.ts).
 */

/** One effect's claim, as stored. See claim-lifecycle.ts for how it moves. */
export interface ClaimRecord {
  key: string;
  state: 'pending' | 'acted' | 'done';
  /** The run working on it; empty once released, so any run may take it over at once. */
  owner: string;
  /** When this effect began: stable across resumes and take-overs (audit row and notice id build on it). */
  effectAt: string;
  /** Last write. A pending claim untouched for the take-over time belongs to a run that died. */
  touchedAt: string;
  /** Removal attempts that failed for a reason other than an outage (fail-closed bound). */
  attempts: number;
  outcome?: OutcomeStatus;
  detail?: string;
  /** JSON of `ClaimReport`: what another run needs to finish the effect. */
  report?: string;
  doneAt?: string;
  /**
   * When a removal request last went out (written just before it is sent; empty on a new effect). A run
   * finishing the claim later reports a removal, not nothing, when the server can no longer show the target.
   */
  sentAt?: string;
  etag: string;
}

export type ClaimFields = Omit<ClaimRecord, 'key' | 'etag'>;

/** A claim to open: its key, and the fields it starts with when it does not exist yet. */
export interface ClaimOpening {
  key: string;
  fresh: ClaimFields;
}

export interface OpenedClaim {
  created: boolean;
  record: ClaimRecord;
}

export interface ClaimStore {
  /** Create the claim as `fresh`, or read the one that exists (`created: false`). */
  open(key: string, fresh: ClaimFields): Promise<OpenedClaim>;
  /**
   * `open` for several claims at once, in as few storage round trips as the store can (Tables: one
   * transaction per meeting). Results in the order of `openings`; a failure is its own claims' alone.
   */
  openMany(openings: readonly ClaimOpening[]): Promise<PromiseSettledResult<OpenedClaim>[]>;
  /** The claim for `key`, if there is one. */
  read(key: string): Promise<ClaimRecord | undefined>;
  /** ETag-conditional write of `changes`; undefined when another writer changed the claim first. */
  write(record: ClaimRecord, changes: Partial<ClaimFields>): Promise<ClaimRecord | undefined>;
  /** Unfinished claims (pending or acted) last written before `before`, oldest first. */
  unfinished(before: Date, limit: number): Promise<ClaimRecord[]>;
  /** The claims about one meeting (its conversation href) whose effect began at or after `since` (ISO). */
  begunInMeeting(conversationHref: string, since: string): Promise<ClaimRecord[]>;
}

/** Who waits in the lobbies of the current application's meetings, and those meetings' conversation hrefs. */
export interface LobbiesNow {
  waiting: Participant[];
  meetings: string[];
}

/** Audit rows: one per effect (key and effect time); writing the same effect again rewrites its row. */
export interface AuditSink {
  record(entry: AuditEntry): Promise<void>;
}

/** The outbox as the use cases see it: idempotent by notice id. */
export interface NoticeQueue {
  enqueue(notice: Notice): Promise<void>;
}

/** The UCWA calls the use cases make. */
export interface GatekeeperUcwa {
  /** The application the client holds, if any: hrefs of another one no longer lead anywhere. */
  readonly currentApplication?: { href: string } | undefined;
  resolve(href: string): string;
  get<K extends Exclude<KnownRel, 'events'>>(rel: K, href: string): Promise<ResourceOf<K>>;
  getMany<K extends Exclude<KnownRel, 'events'>>(
    rel: K,
    hrefs: readonly string[],
  ): Promise<
    ({ href: string; ok: true; resource: ResourceOf<K> } | { href: string; ok: false; error: Error })[]
  >;
  removeParticipants(
    removals: readonly { participant: UcwaResource; verb: 'eject' | 'reject' }[],
  ): Promise<RemovalResult[]>;
  accept(invitation: UcwaResource): Promise<void>;
  decline(invitation: UcwaResource): Promise<void>;
  /** An invitation the gatekeeper started itself (startMessaging, joinOnlineMeeting). */
  isOwnInvitation(href: string, operationId?: string): Promise<boolean>;
}
