import type { TableClient } from '@azure/data-tables';
import { rowKeyOf } from './keys.js';
import { ensureTable, statusOf } from './storage.js';

/** The result of claiming an idempotency key before a side effect. */
export type Claim =
  | {
      kind: 'claimed';
      etag: string;
      takenOver: boolean;
      /** When this claim began; stable across a take-over of an acted claim (notice ids build on it). */
      claimedAt: string;
      /** The side effect already happened; only its reporting is left to do. */
      acted?: { outcome: string; detail?: string; report?: string };
    }
  /** Done before: `etag` lets the caller re-open it (a participant who knocks again). */
  | { kind: 'done'; outcome: string; doneAt: string; etag: string }
  /** Another worker is acting on it right now. */
  | { kind: 'busy' };

interface Entity {
  key: string;
  state: 'pending' | 'acted' | 'done';
  claimedAt: string;
  outcome?: string;
  detail?: string;
  /** What the reporting needs (JSON), stored with the outcome. */
  report?: string;
  doneAt?: string;
}

/**
 * One row per side effect (an ejection, a summary): claimed before acting, marked `acted` with its outcome
 * right after, completed once it is reported. A crash before `acted` leaves a pending claim that another run
 * takes over once it is older than `staleAfterMs` and re-reads the target before acting again; a crash after
 * it is taken over at once and only reported. Nothing happens twice, nothing goes unreported.
 */
export class IdempotencyStore {
  constructor(
    private readonly table: TableClient,
    private readonly staleAfterMs = 120_000,
  ) {}

  async claim(key: string, now: Date = new Date()): Promise<Claim> {
    await ensureTable(this.table);
    const rowKey = rowKeyOf(key);
    const partitionKey = rowKey.slice(0, 2);
    const pending: Entity = { key, state: 'pending', claimedAt: now.toISOString() };
    try {
      const created = await this.table.createEntity({ partitionKey, rowKey, ...pending });
      return { kind: 'claimed', etag: created.etag ?? '', takenOver: false, claimedAt: pending.claimedAt };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
    const existing = await this.table.getEntity<Entity>(partitionKey, rowKey);
    if (existing.state === 'done') {
      return {
        kind: 'done',
        outcome: existing.outcome ?? '',
        doneAt: existing.doneAt ?? '',
        etag: existing.etag,
      };
    }
    if (existing.state === 'acted') {
      try {
        const updated = await this.table.updateEntity(
          { partitionKey, rowKey, takenAt: now.toISOString() },
          'Merge',
          {
            etag: existing.etag,
          },
        );
        return {
          kind: 'claimed',
          etag: updated.etag ?? '',
          takenOver: true,
          claimedAt: existing.claimedAt,
          acted: {
            outcome: existing.outcome ?? '',
            ...(existing.detail ? { detail: existing.detail } : {}),
            ...(existing.report ? { report: existing.report } : {}),
          },
        };
      } catch (error) {
        if (statusOf(error) === 412) return { kind: 'busy' };
        throw error;
      }
    }
    if (now.getTime() - Date.parse(existing.claimedAt) < this.staleAfterMs) return { kind: 'busy' };
    return this.takeOver(key, existing.etag, now);
  }

  /** Re-open a key (stale pending, or done but the target is back) unless someone else got there first. */
  async takeOver(key: string, etag: string, now: Date = new Date()): Promise<Claim> {
    const rowKey = rowKeyOf(key);
    const entity: Entity = { key, state: 'pending', claimedAt: now.toISOString() };
    try {
      const updated = await this.table.updateEntity(
        { partitionKey: rowKey.slice(0, 2), rowKey, ...entity },
        'Replace',
        {
          etag,
        },
      );
      return { kind: 'claimed', etag: updated.etag ?? '', takenOver: true, claimedAt: entity.claimedAt };
    } catch (error) {
      if (statusOf(error) === 412) return { kind: 'busy' };
      throw error;
    }
  }

  /**
   * Give up a claim after a failure that may or may not have taken effect: the next claim takes it over at once
   * and, as with any take-over, re-reads the target before acting.
   */
  async abandon(key: string, etag: string): Promise<void> {
    const rowKey = rowKeyOf(key);
    const entity: Entity = { key, state: 'pending', claimedAt: new Date(0).toISOString() };
    await this.table
      .updateEntity({ partitionKey: rowKey.slice(0, 2), rowKey, ...entity }, 'Replace', { etag })
      .catch(() => undefined);
  }

  /** The state of a key without claiming it. */
  async peek(key: string): Promise<Entity['state'] | undefined> {
    await ensureTable(this.table);
    const rowKey = rowKeyOf(key);
    try {
      return (await this.table.getEntity<Entity>(rowKey.slice(0, 2), rowKey)).state;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Record that the side effect happened (before reporting it). Returns the new ETag. */
  async recordAction(
    key: string,
    etag: string,
    outcome: string,
    detail?: string,
    report?: string,
  ): Promise<string> {
    const rowKey = rowKeyOf(key);
    const entity = {
      partitionKey: rowKey.slice(0, 2),
      rowKey,
      state: 'acted',
      outcome,
      detail: detail ?? '',
      report: report ?? '',
    };
    const updated = await this.table.updateEntity(entity, 'Merge', { etag });
    return updated.etag ?? '';
  }

  /** Record the outcome of a claimed key. */
  async complete(key: string, etag: string, outcome: string, now: Date = new Date()): Promise<void> {
    const rowKey = rowKeyOf(key);
    const entity = {
      partitionKey: rowKey.slice(0, 2),
      rowKey,
      key,
      state: 'done',
      outcome,
      doneAt: now.toISOString(),
    };
    await this.table.updateEntity(entity, 'Merge', { etag });
  }
}
