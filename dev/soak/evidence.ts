/**
 * The records the invariants are checked against, each from its own source and never from the worker's
 * telemetry: the audit and outbox tables read straight from Azurite (not through the fault proxies), what the
 * simulator delivered on the event channel (`sim.requests[].events`, only answers written to the socket), its
 * actions, and the chat sink's messages, each attributed to a notice id and a soak token.
 */
import { TableClient } from '@azure/data-tables';
import { noticeReference } from '../../shared/chat/reference.js';
import type { ReceivedMessage } from '../chat-sink/index.js';
import type { RecordedEvent, UcwaSimulator } from '../ucwa-sim/index.js';

export interface AuditRow {
  time: number;
  key: string;
  subject: string;
  participant: string;
  facts: Record<string, unknown>;
  decision: string;
  outcome: string;
  detail?: string;
  mode: string;
  /** The soak token in the facts' name or URI, if any. */
  token?: string;
}

/** A claim row (the idempotency table), for the trail a violation names. */
export interface ClaimRow {
  key: string;
  state: string;
  outcome?: string;
  detail?: string;
  effectAt?: string;
  sentAt?: string;
  attempts?: number;
  owner?: string;
  token?: string;
}

export interface OutboxRow {
  noticeId: string;
  kind: string;
  state: string;
  sinks: Record<string, { state?: string; attempts?: number; nextAttemptAt?: string; lastError?: string }>;
  outcome?: string;
  token?: string;
  /** The item's due time; while a drainer holds it, the end of that drainer's lease. */
  nextAttemptAt?: number;
  leaseOwner?: string;
}

export interface ChatMessage {
  channel: string;
  at: number;
  /** The notice's short reference (`noticeKey`): the only form of its id every format shows. */
  noticeKey: string;
  /** The exact notice id, when the message carries it (webhook body). */
  noticeId?: string;
  kind: 'invitation' | 'eject' | 'lobby' | 'alert' | 'digest' | 'unknown';
  token?: string;
  /** The outcome status (webhook only: the others render it as a label). */
  outcome?: string;
}

export interface DeliveredBatch {
  applicationId: string;
  ack: number;
  at: number;
  events: RecordedEvent[];
  /** The next P-GET (ack + 1) reached the simulator: the batch was acknowledged. */
  acknowledged: boolean;
}

const TOKEN = /\b([KM]\d{4})\b/i;

export const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The short reference every chat format shows for a notice (Teams and Slack show nothing else of its id). */
export const noticeKey = (id: string) => noticeReference(id);

export function tokenOf(text: string | undefined): string | undefined {
  return text ? TOKEN.exec(text)?.[1]?.toUpperCase() : undefined;
}

async function listAll(connectionString: string, table: string): Promise<Record<string, unknown>[]> {
  const client = TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
  const rows: Record<string, unknown>[] = [];
  try {
    for await (const row of client.listEntities()) {
      rows.push(row);
      if (rows.length > 100_000) break;
    }
  } catch (error) {
    // The worker creates its tables; a run that never got that far has none.
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return rows;
}

const json = <T>(text: unknown, fallback: T): T => {
  try {
    return typeof text === 'string' && text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
};

export async function readAudit(connectionString: string): Promise<AuditRow[]> {
  return (await listAll(connectionString, 'audit'))
    .map((row) => {
      const facts = json<Record<string, unknown>>(row.facts, {});
      const token = tokenOf(String(facts.name ?? '')) ?? tokenOf(String(facts.uri ?? ''));
      return {
        time: Date.parse(String(row.time)),
        key: String(row.key ?? ''),
        subject: String(row.subject ?? ''),
        participant: String(row.participant ?? ''),
        facts,
        decision: String(row.decision ?? ''),
        outcome: String(row.outcome ?? ''),
        detail: String(row.detail ?? ''),
        mode: String(row.mode ?? ''),
        ...(token && { token }),
      };
    })
    .sort((a, b) => a.time - b.time);
}

export async function readClaims(connectionString: string): Promise<ClaimRow[]> {
  return (await listAll(connectionString, 'idempotency')).map((row) => {
    const facts = json<{ facts?: { name?: string; uri?: string } }>(row.report, {}).facts ?? {};
    const token = tokenOf(facts.name) ?? tokenOf(facts.uri);
    const text = (name: string) => (typeof row[name] === 'string' && row[name] ? { [name]: row[name] } : {});
    return {
      key: String(row.key ?? ''),
      state: String(row.state ?? ''),
      ...text('outcome'),
      ...text('detail'),
      ...text('effectAt'),
      ...text('sentAt'),
      ...text('owner'),
      ...(typeof row.attempts === 'number' && { attempts: row.attempts }),
      ...(token && { token }),
    };
  });
}

export async function readOutbox(connectionString: string): Promise<OutboxRow[]> {
  return (await listAll(connectionString, 'outbox')).map((row) => {
    const notice = json<{ outcome?: { status?: string }; sender?: { name?: string; uri?: string } }>(
      row.notice,
      {},
    );
    const outcome = notice.outcome?.status;
    const token = tokenOf(notice.sender?.name) ?? tokenOf(notice.sender?.uri);
    const due =
      row.nextAttemptAt instanceof Date ? row.nextAttemptAt.getTime() : Date.parse(String(row.nextAttemptAt));
    return {
      noticeId: String(row.noticeId ?? ''),
      kind: String(row.kind ?? ''),
      state: String(row.state ?? ''),
      sinks: json(row.sinks, {}),
      ...(Number.isFinite(due) && { nextAttemptAt: due }),
      ...(typeof row.leaseOwner === 'string' && row.leaseOwner && { leaseOwner: row.leaseOwner }),
      ...(outcome && { outcome }),
      ...(token && { token }),
    };
  });
}

/** Every string in a parsed JSON body, depth first. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) strings(item, out);
  return out;
}

function kindOf(key: string): ChatMessage['kind'] {
  const prefix = /^(invitation|eject|lobby|alert|digest)/.exec(key)?.[1];
  return (prefix as ChatMessage['kind'] | undefined) ?? 'unknown';
}

/**
 * Teams and Slack show the notice's reference in the footer, `Ref <reference> · <time>`; the webhook body
 * carries the id itself. `ids` maps references to the ids the outbox and the webhook copies name, which
 * tells what a Teams or Slack message is about.
 */
export function attribute(
  message: ReceivedMessage,
  ids: ReadonlyMap<string, string> = new Map(),
): ChatMessage {
  const at = Date.parse(message.receivedAt);
  const body = message.body as { id?: unknown; outcome?: { status?: unknown }; sender?: { name?: unknown } };
  if (message.channel === 'webhook' && typeof body.id === 'string') {
    const key = noticeKey(body.id);
    const token = tokenOf(message.raw);
    const outcome = typeof body.outcome?.status === 'string' ? body.outcome.status : undefined;
    return {
      channel: message.channel,
      at,
      noticeKey: key,
      noticeId: body.id,
      kind: kindOf(body.id),
      ...(token && { token }),
      ...(outcome && { outcome }),
    };
  }
  const key = strings(message.body).flatMap((text) => /^Ref ([0-9a-f]+) · /.exec(text)?.[1] ?? [])[0] ?? '';
  const id = ids.get(key);
  const token = tokenOf(message.raw);
  return {
    channel: message.channel,
    at,
    noticeKey: key,
    kind: id ? kindOf(id) : 'unknown',
    ...(token && { token }),
  };
}

/** Every message attributed, Teams and Slack ones by the ids the outbox and the webhook copies name. */
export function attributeAll(
  messages: readonly ReceivedMessage[],
  outbox: readonly OutboxRow[],
): ChatMessage[] {
  const ids = new Map(outbox.map((row) => [noticeKey(row.noticeId), row.noticeId]));
  for (const message of messages) {
    const id = (message.body as { id?: unknown } | null)?.id;
    if (message.channel === 'webhook' && typeof id === 'string') ids.set(noticeKey(id), id);
  }
  return messages.map((message) => attribute(message, ids));
}

/** Event-channel answers the simulator wrote, one per (application, ack), oldest first. */
export function deliveredBatches(sim: UcwaSimulator): DeliveredBatch[] {
  const batches = new Map<string, DeliveredBatch>();
  const acks = new Set<string>();
  for (const request of sim.requests) {
    const match = /\/applications\/(\d+)\/events\?(?:.*&)?ack=(\d+)/.exec(request.path);
    if (!match || request.method !== 'GET' || request.batchPart) continue;
    const [, applicationId = '', ackText = ''] = match;
    const ack = Number(ackText);
    // A GET for ack N+1 that the channel handled (answered, parked or left by the client) acknowledges N.
    if (request.status === 200 || request.status === 0 || request.status === 499)
      acks.add(`${applicationId}|${ack}`);
    if (request.status !== 200 || !request.events?.length) continue;
    const id = `${applicationId}|${ack}`;
    if (!batches.has(id))
      batches.set(id, { applicationId, ack, at: request.at, events: request.events, acknowledged: false });
  }
  for (const batch of batches.values())
    batch.acknowledged = acks.has(`${batch.applicationId}|${batch.ack + 1}`);
  return [...batches.values()].sort((a, b) => a.at - b.at);
}
