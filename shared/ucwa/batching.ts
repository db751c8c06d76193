import { backoffDelay } from '../lib/backoff.js';
import { sleep } from '../lib/sleep.js';
import { type BatchRequestPart, type BatchResponsePart, buildBatch, parseBatch } from './batch.js';
import type { OperationOptions } from './client-options.js';
import { OriginNotAllowedError, UcwaError, UcwaSchemaError, UcwaTransportError } from './errors.js';
import { originOf } from './links.js';
import { type KnownRel, parseAs, type ResourceOf } from './parse.js';
import type { RetryPolicy } from './retry.js';
import type { UcwaTransport } from './transport.js';

export type BatchGetResult<R> =
  | { href: string; ok: true; resource: R }
  | { href: string; ok: false; error: UcwaError | UcwaSchemaError };

interface BatchContext {
  transport: UcwaTransport;
  retry: RetryPolicy;
  random?: () => number;
}

/** One postBatches call's fixed parts, handed down its retries and splits. */
interface BatchCall extends BatchContext {
  href: string;
  signal: AbortSignal | undefined;
}

/**
 * POST `parts` to a batch link in chunks of `size` (docs/ucwa-protocol.md §11). A 429 means nothing ran: the
 * chunk is split in halves and retried after the server's Retry-After. Parts may execute in any order, so
 * never batch dependent requests. Results come back in request order.
 */
export async function postBatches(
  ctx: BatchContext,
  href: string,
  parts: readonly BatchRequestPart[],
  options: OperationOptions & { size: number },
): Promise<BatchResponsePart[]> {
  const batchOrigin = originOf(href);
  for (const part of parts) {
    if (originOf(part.url) !== batchOrigin) {
      throw new OriginNotAllowedError(
        originOf(part.url),
        'a batch may only carry requests for its own origin',
      );
    }
  }
  const call: BatchCall = { ...ctx, href, signal: options.abortSignal };
  const { size } = options;
  const results: BatchResponsePart[] = [];
  for (let at = 0; at < parts.length; at += size) {
    results.push(...(await postBatch(call, parts.slice(at, at + size), 0)));
  }
  return results;
}

async function postBatch(
  call: BatchCall,
  parts: readonly BatchRequestPart[],
  depth: number,
): Promise<BatchResponsePart[]> {
  const { href, signal } = call;
  const { contentType, body } = buildBatch(parts);
  try {
    const response = await call.transport.request({
      method: 'POST',
      url: href,
      body,
      contentType,
      accept: 'multipart/batching',
      resource: 'batch',
      retry: false,
      idempotent: parts.every((part) => part.method === 'GET'),
      signal,
    });
    const parsed = parseBatch(response.headers.get('content-type') ?? '', response.text);
    if (parsed.length !== parts.length) {
      throw new UcwaTransportError({
        method: 'POST',
        href,
        message: `batch answered ${parsed.length} parts for ${parts.length}`,
        attempts: 1,
      });
    }
    return parsed;
  } catch (error) {
    const { retry } = call;
    // Reads change nothing: one that met a 5xx, a reset or a garbled answer is repeated like a plain GET.
    if (
      parts.every((part) => part.method === 'GET') &&
      isRepeatable(error) &&
      depth + 1 < retry.maxAttempts
    ) {
      await sleep(backoffDelay(retry, depth, 'full', call.random), signal);
      return postBatch(call, parts, depth + 1);
    }
    if (!(error instanceof UcwaError) || error.status !== 429 || depth >= retry.maxAttempts + 4) throw error;
    if (error.retryAfterMs !== undefined && error.retryAfterMs > retry.maxRetryAfterMs) throw error;
    await sleep(error.retryAfterMs ?? backoffDelay(retry, depth, 'full', call.random), signal);
    if (parts.length === 1) return postBatch(call, parts, depth + 1);
    const half = Math.ceil(parts.length / 2);
    const first = await postBatch(call, parts.slice(0, half), depth + 1);
    const second = await postBatch(call, parts.slice(half), depth + 1);
    return [...first, ...second];
  }
}

/** The answers to a batch of GETs of `urls`, each parsed as `rel`: one odd resource fails its own part only. */
export function readParts<K extends Exclude<KnownRel, 'events'>>(
  rel: K,
  urls: readonly string[],
  parts: readonly BatchResponsePart[],
): BatchGetResult<ResourceOf<K>>[] {
  return parts.map((part, index) => {
    const href = urls[index] ?? '';
    if (part.status >= 400) return { href, ok: false, error: partError(part, 'GET', href) };
    try {
      return { href, ok: true, resource: parseAs(rel, part.body) };
    } catch (error) {
      if (error instanceof UcwaSchemaError) return { href, ok: false, error };
      throw error;
    }
  });
}

/** A failed part as the UcwaError a plain request would have thrown. */
export function partError(part: BatchResponsePart, method: string, href: string): UcwaError {
  const body = part.body as { code?: unknown } | undefined;
  return new UcwaError({
    status: part.status,
    method,
    href,
    ...(typeof body?.code === 'string' ? { body: part.body as { code: string } } : {}),
  });
}

function isRepeatable(error: unknown): boolean {
  if (error instanceof UcwaTransportError) return true;
  return error instanceof UcwaError && error.status >= 500;
}
