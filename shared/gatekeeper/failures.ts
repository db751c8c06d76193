import { LinkNotOfferedError, UcwaError, UcwaSchemaError } from '../ucwa/errors.js';

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
  return true;
}
