/** Errors as logs and records show them: name and message, never a stack or a request object. */

/** `Name: message`. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The message alone. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The name alone, for telemetry dimensions. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}
