import type { TableClient } from '@azure/data-tables';
import { statusOf } from '../lib/azure-status.js';
import { ensureTable } from '../lib/ensure-table.js';

/** Where the event channel stands, shared by every run of the gatekeeper. */
export interface ChannelState {
  /** The application created by an earlier run; re-attached while the server keeps it. */
  applicationHref?: string;
  /** The next P-GET href, saved only after the batch before it was handled. */
  cursor?: string;
  /** ISO time of the last event seen, for `health`. */
  lastEventAt?: string;
  /** ISO time of the last completed P-GET, for `health`. */
  lastPollAt?: string;
  /** End of the period the last digest covered (row `digest`). */
  digestedUntil?: string;
  /** ISO times the application was re-created lately: spaces re-creations out across runs. */
  recreatedAt?: string[];
}

/** Someone else wrote the state since it was read: another consumer holds the channel. */
export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
}

const PARTITION = 'channel';

/** The channel state as one table entity, updated with ETag concurrency. */
export class CursorStore {
  constructor(
    readonly table: TableClient,
    private readonly row = 'events',
  ) {}

  async read(): Promise<{ state: ChannelState; etag: string | undefined }> {
    await ensureTable(this.table);
    try {
      const entity = await this.table.getEntity<{ state: string }>(PARTITION, this.row);
      return { state: JSON.parse(entity.state) as ChannelState, etag: entity.etag };
    } catch (error) {
      if (statusOf(error) === 404) return { state: {}, etag: undefined };
      throw error;
    }
  }

  /** Write `state` if nobody wrote since `etag` (undefined: the row must not exist yet). Returns the new ETag. */
  async write(state: ChannelState, etag: string | undefined): Promise<string> {
    await ensureTable(this.table);
    const entity = { partitionKey: PARTITION, rowKey: this.row, state: JSON.stringify(state) };
    try {
      const result = etag
        ? await this.table.updateEntity(entity, 'Replace', { etag })
        : await this.table.createEntity(entity);
      return result.etag ?? '';
    } catch (error) {
      const status = statusOf(error);
      if (status === 412 || status === 409)
        throw new ConcurrencyError('the channel state changed under this run');
      throw error;
    }
  }
}
