import { statusOf } from '../lib/azure-status.js';
import { LinkNotOfferedError, UcwaError, UcwaSchemaError } from '../ucwa/errors.js';
import { SERVER_REFUSED } from './outcome.js';

/**
 * Whether a failure is the environment's (retry the batch later: nothing is lost) rather than the event's
 * (log, count and move on: a poison event must not block the channel). Anything unrecognised — storage
 * outages, token problems, missing scopes — counts as the environment's, so events are never dropped for it.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof UcwaSchemaError || error instanceof LinkNotOfferedError) return false;
  if (error instanceof UcwaError) {
    return ['retry', 'throttled', 'rediscover', 'reauthenticate', 'recreate-application'].includes(
      error.action,
    );
  }
  return !isPermanentForItem(error);
}

/**
 * The server refused a request about this one item (403 on a GET, accept, decline, eject, reject): permanent
 * for it — recorded as not permitted, said once, never retried (docs/ucwa-protocol.md §13.2).
 */
export function isRefusedForItem(error: unknown): error is UcwaError {
  return error instanceof UcwaError && error.action === 'not-permitted';
}

export function refusalDetail(error: UcwaError): string {
  return `${SERVER_REFUSED} (${error.status} ${error.code}${error.subcode ? `/${error.subcode}` : ''})`;
}

/**
 * A storage answer that refuses this one item (a bad or too large entity: 400, 413, and other 4xx that are
 * not about concurrency, throttling or a missing table): retrying cannot help, so it is skipped and counted.
 */
export function isPermanentForItem(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined || status < 400 || status >= 500) return false;
  return ![401, 403, 404, 408, 409, 412, 429].includes(status);
}
