import { createHash } from 'node:crypto';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import type { ContainerClient } from '@azure/storage-blob';
import { codeOf, statusOf } from '../lib/azure-status.js';
import type { AuthLog } from './auth-log.js';
import { mergeSerializedCaches } from './cache-merge.js';
import { TokenSourceError } from './errors.js';

export const DEFAULT_CACHE_CONTAINER = 'msal-cache';

const LOCK_TIMEOUT_MS = 30_000;

export interface BlobCachePluginOptions {
  /** The container, or how to get it on first use (the Blob SDK loads only then). */
  container: ContainerClient | (() => Promise<ContainerClient>);
  blobName: string;
  /** Attempts per write when other instances keep winning the race; default 5. */
  maxWriteAttempts?: number;
  log?: AuthLog;
}

/** What a storage error says, for the decision and the message. */
function storageFailure(error: unknown): { statusCode?: number | undefined; code?: string | undefined } {
  return { statusCode: statusOf(error), code: codeOf(error) };
}

/** A blob per app registration and account, so two configurations never share a cache. */
export function tokenCacheBlobName(parts: {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  username?: string;
}): string {
  const key = JSON.stringify([
    new URL(parts.authorityHost).host.toLowerCase(),
    parts.tenantId.toLowerCase(),
    parts.clientId.toLowerCase(),
    parts.username?.toLowerCase() ?? '',
  ]);
  // Hashed: user names are personal data and have no business in storage listings.
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return `${parts.clientId.toLowerCase()}/${digest}.json`;
}

/** One at a time: MSAL's in-memory cache is shared between the before/after pairs of one app. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release: () => void = () => {};
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => next);
    return ready;
  }
}

/**
 * MSAL token cache persisted in one blob. Reads before every cache access; after an access that changed the
 * cache, writes with `If-Match` on the ETag it read (or `If-None-Match: *` for a new blob). When another
 * instance wrote first, it re-reads, merges (see mergeSerializedCaches) and tries again, so a refresh token
 * rotated by any instance is never overwritten by a stale copy.
 */
export class BlobCachePlugin implements ICachePlugin {
  readonly #containerSource: BlobCachePluginOptions['container'];
  #container: ContainerClient | undefined;
  readonly #blobName: string;
  readonly #maxWriteAttempts: number;
  readonly #log: AuthLog | undefined;
  readonly #mutex = new Mutex();
  /** Lock releases of the contexts between their before and after calls. */
  readonly #holders = new Map<TokenCacheContext, () => void>();
  /** The cache text and ETag as last read or written; ETag undefined while the blob does not exist. */
  #base: string | undefined;
  #etag: string | undefined;

  constructor(options: BlobCachePluginOptions) {
    this.#containerSource = options.container;
    this.#blobName = options.blobName;
    this.#maxWriteAttempts = options.maxWriteAttempts ?? 5;
    this.#log = options.log;
  }

  get blobName(): string {
    return this.#blobName;
  }

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    const release = await this.#mutex.acquire();
    // MSAL skips afterCacheAccess when its own code between the two throws (overwriteCache has no
    // finally): never let that hold the lock forever.
    const timer = setTimeout(() => {
      this.#log?.('warning', 'token cache lock held for 30 s without afterCacheAccess; released');
      this.#holders.delete(context);
      release();
    }, LOCK_TIMEOUT_MS);
    timer.unref();
    const holder = () => {
      clearTimeout(timer);
      release();
    };
    try {
      const { text, etag } = await this.#read();
      this.#base = text;
      this.#etag = etag;
      if (text) context.tokenCache.deserialize(text);
    } catch (error) {
      holder();
      throw error;
    }
    this.#holders.set(context, holder);
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    const release = this.#holders.get(context);
    // No lock held (beforeCacheAccess failed): nothing was read, so nothing may be written.
    if (!release) return;
    this.#holders.delete(context);
    try {
      if (context.cacheHasChanged) await this.#write(context);
    } finally {
      release();
    }
  }

  async #containerClient(): Promise<ContainerClient> {
    const source = this.#containerSource;
    this.#container ??= typeof source === 'function' ? await source() : source;
    return this.#container;
  }

  async #read(): Promise<{ text: string | undefined; etag: string | undefined }> {
    try {
      const container = await this.#containerClient();
      const response = await container.getBlobClient(this.#blobName).download(0);
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody ?? []) {
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
      }
      return { text: Buffer.concat(chunks).toString('utf8'), etag: response.etag };
    } catch (error) {
      const failure = storageFailure(error);
      if (failure.statusCode === 404) return { text: undefined, etag: undefined };
      throw new TokenSourceError(
        'cache_unavailable',
        `Could not read the token cache blob (status ${failure.statusCode ?? 'none'}, ${failure.code ?? 'no code'}).`,
      );
    }
  }

  async #write(context: TokenCacheContext): Promise<void> {
    let text = context.tokenCache.serialize();
    const container = await this.#containerClient();
    const blob = container.getBlockBlobClient(this.#blobName);
    for (let attempt = 1; attempt <= this.#maxWriteAttempts; attempt++) {
      try {
        const response = await blob.upload(text, Buffer.byteLength(text), {
          conditions: this.#etag ? { ifMatch: this.#etag } : { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
        this.#base = text;
        this.#etag = response.etag;
        return;
      } catch (error) {
        const failure = storageFailure(error);
        if (failure.statusCode === 404 && failure.code === 'ContainerNotFound') {
          await container.createIfNotExists();
          continue;
        }
        if (failure.statusCode !== 412 && failure.statusCode !== 409) {
          throw new TokenSourceError(
            'cache_unavailable',
            `Could not write the token cache blob (status ${failure.statusCode ?? 'none'}, ${failure.code ?? 'no code'}).`,
          );
        }
        // Another instance wrote since we read: merge our change into its version and try again.
        this.#log?.('info', `token cache write conflict on attempt ${attempt}; merging`);
        const remote = await this.#read();
        text = mergeSerializedCaches(this.#base, text, remote.text ?? '{}');
        this.#base = remote.text;
        this.#etag = remote.etag;
        context.tokenCache.deserialize(text);
      }
    }
    throw new TokenSourceError(
      'cache_write_conflict',
      `Gave up writing the token cache after ${this.#maxWriteAttempts} conflicting attempts.`,
    );
  }
}
