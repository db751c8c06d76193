/**
 * Errors of the token sources. Messages are written here, never copied from a server answer or a library
 * error, so no credential can travel inside one.
 */
export class TokenSourceError extends Error {
  constructor(
    /** Stable machine-readable reason, e.g. `invalid_grant`, `network_error`, `no_token_endpoint`. */
    readonly code: string,
    message: string,
    /** The UCWA origin the token was for, when there was one. */
    readonly origin?: string,
  ) {
    super(message);
    this.name = 'TokenSourceError';
  }
}

/** The persisted sign-in is missing or no longer valid; an operator has to sign in again. */
export class SignInRequiredError extends TokenSourceError {
  constructor(reason: string, origin?: string) {
    super(
      'sign_in_required',
      `${reason} Run \`npm run auth:login\` to sign the service account in again.`,
      origin,
    );
    this.name = 'SignInRequiredError';
  }
}

/** MSAL errors expose a code; anything else is reported by its class only. */
export function errorCode(error: unknown): string {
  if (error && typeof error === 'object' && 'errorCode' in error && typeof error.errorCode === 'string') {
    return error.errorCode || 'unknown_error';
  }
  return error instanceof Error ? error.name : 'unknown_error';
}
