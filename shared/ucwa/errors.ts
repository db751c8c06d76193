/**
 * Typed errors of the UCWA client. Every failure a caller can act on has its own class or `action`, so
 * callers branch on `action` instead of re-reading status codes.
 */

/** What a caller should do about a UCWA error (docs/ucwa-protocol.md §13.2). */
export type UcwaErrorAction =
  | 'reauthenticate'
  | 'recreate-application'
  | 'rediscover'
  | 'retry'
  | 'throttled'
  | 'fatal-configuration'
  | 'target-gone'
  | 'duplicate-consumer'
  | 'already-done'
  | 'refresh-state'
  | 'not-permitted'
  | 'client-bug';

/** The JSON error body UCWA sends: only `code` is guaranteed; subcodes may be new at any time. */
export interface UcwaErrorBody {
  code: string;
  subcode?: string;
  message?: string;
  debugInfo?: unknown;
  parameters?: unknown;
}

export class UcwaError extends Error {
  override name = 'UcwaError';
  readonly status: number;
  readonly code: string;
  readonly subcode: string | undefined;
  readonly action: UcwaErrorAction;
  /** The request that failed, without query string (which may carry an ack or ids, never secrets). */
  readonly method: string;
  readonly href: string;
  /** True when the body was not UCWA JSON: a proxy or load balancer answered. */
  readonly fromProxy: boolean;
  readonly retryAfterMs: number | undefined;
  readonly challenge: string[] | undefined;

  constructor(init: {
    status: number;
    body?: UcwaErrorBody;
    method: string;
    href: string;
    retryAfterMs?: number;
    challenge?: string[];
  }) {
    const code = init.body?.code ?? statusName(init.status);
    const subcode = init.body?.subcode && init.body.subcode !== 'None' ? init.body.subcode : undefined;
    super(
      `UCWA ${init.method} ${stripQuery(init.href)} failed: ${init.status} ${code}${subcode ? `/${subcode}` : ''}` +
        (init.body?.message ? ` (${init.body.message})` : ''),
    );
    this.status = init.status;
    this.code = code;
    this.subcode = subcode;
    this.method = init.method;
    this.href = stripQuery(init.href);
    this.fromProxy = init.body === undefined;
    this.retryAfterMs = init.retryAfterMs;
    this.challenge = init.challenge;
    this.action = classify(init.status, code, subcode);
  }

  /** The application this request ran under no longer exists (404 ApplicationNotFound, 410 InactiveApplicationExpired). */
  get applicationGone(): boolean {
    return this.action === 'recreate-application';
  }
}

const STATUS_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  408: 'ClientTimeout',
  409: 'Conflict',
  410: 'Gone',
  412: 'PreconditionFailed',
  413: 'EntityTooLarge',
  415: 'UnsupportedMediaType',
  428: 'PreconditionRequired',
  429: 'TooManyRequests',
  500: 'ServiceFailure',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function statusName(status: number): string {
  return STATUS_NAMES[status] ?? `Http${status}`;
}

const FATAL_GONE = new Set([
  'TooManyApplications',
  'UserAgentNotAllowed',
  'MobileApplicationNoLongerAllowed',
]);
const RECREATE = new Set(['ApplicationNotFound', 'InactiveApplicationExpired']);

/** The client policy for each error class (docs/ucwa-protocol.md §13.2); unknown subcodes fall back to the status. */
export function classify(status: number, code: string, subcode: string | undefined): UcwaErrorAction {
  const name = subcode ?? code;
  if (RECREATE.has(name) || RECREATE.has(code)) return 'recreate-application';
  if (status === 401) return 'reauthenticate';
  if (status === 409 && name === 'PGetReplaced') return 'duplicate-consumer';
  if (status === 409 && name === 'AlreadyExists') return 'already-done';
  if (status === 410 && FATAL_GONE.has(name)) return 'fatal-configuration';
  if (status === 410 && name === 'CannotRedirect') return 'rediscover';
  // 403 about one item is permanent for it; at the application level it means rediscover (needsRediscovery).
  if (status === 403) return 'not-permitted';
  if (status === 429) return 'throttled';
  if (status === 404 && name === 'APIVersionNotSupported') return 'client-bug';
  // ResourceNotFound, ConversationNotFound, DestinationNotFound and unknown 404s: the target is gone.
  if (status === 404) return 'target-gone';
  if (status === 409 || status === 410 || status === 412 || status === 428) return 'refresh-state';
  if (status === 408 || status >= 500) return 'retry';
  return 'client-bug';
}

/**
 * RootURL.md: the cached UCWA URLs are thrown away after 403, 502 or a connection error that persists — at
 * the application level (creating or re-attaching the application, makeMeAvailable, the event channel; never
 * for a request about one participant or invitation). docs/ucwa-protocol.md §2.3, §13.2.
 */
export function needsRediscovery(error: unknown): boolean {
  if (error instanceof UcwaTransportError) return true;
  if (!(error instanceof UcwaError)) return false;
  return error.status === 403 || error.status === 502 || error.action === 'rediscover';
}

/** A response body that is not what the docs describe. `path` names the first field that failed. */
export class UcwaSchemaError extends Error {
  override name = 'UcwaSchemaError';
  constructor(
    readonly rel: string,
    readonly path: string,
    detail: string,
  ) {
    super(`UCWA ${rel} does not match its schema at ${path || '(root)'}: ${detail}`);
  }
}

/** The bearer token would leave the allow-list: nothing was sent. */
export class OriginNotAllowedError extends Error {
  override name = 'OriginNotAllowedError';
  constructor(
    readonly origin: string,
    reason: string,
  ) {
    super(`Refusing to send a UCWA request to ${origin}: ${reason}`);
  }
}

/** The token was refused twice in a row for the same origin, or no token could be had. */
export class UcwaAuthError extends Error {
  override name = 'UcwaAuthError';
  constructor(
    readonly origin: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The token lacks every scope the resource accepts; says which scope to grant. */
export class ScopeError extends Error {
  override name = 'ScopeError';
  constructor(
    readonly resource: string,
    readonly requiredAnyOf: readonly string[],
    readonly granted: readonly string[],
  ) {
    super(
      `The UCWA token lacks the scope needed for ${resource}: grant ${requiredAnyOf.join(' or ')} ` +
        `(delegated permission of the Skype for Business Online service principal 00000004-0000-0ff1-ce00-000000000000) ` +
        `to the gatekeeper's app registration and grant admin consent; granted now: ${granted.join(' ') || 'none'}.`,
    );
  }
}

/** Network failure, timeout or malformed body after the retry budget was spent, or on an unsafe request. */
export class UcwaTransportError extends Error {
  override name = 'UcwaTransportError';
  readonly method: string;
  readonly href: string;
  readonly attempts: number;
  constructor(
    failure: { method: string; href: string; message: string; attempts: number },
    options?: { cause?: unknown },
  ) {
    const { method, href, message, attempts } = failure;
    super(
      `UCWA ${method} ${stripQuery(href)}: ${message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
      options,
    );
    this.method = method;
    this.href = href;
    this.attempts = attempts;
  }
}

/** A capability link is absent: the server does not allow that operation now (docs/ucwa-protocol.md §1). */
export class LinkNotOfferedError extends Error {
  override name = 'LinkNotOfferedError';
  constructor(
    readonly rel: string,
    readonly resourceHref: string | undefined,
  ) {
    super(`The resource ${resourceHref ?? '(unknown)'} does not offer the '${rel}' link`);
  }
}

function stripQuery(href: string): string {
  const at = href.indexOf('?');
  return at < 0 ? href : href.slice(0, at);
}

/** Autodiscovery could not reach an applications URL (loop, dead end). */
export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
  constructor(
    readonly href: string,
    problem: string,
  ) {
    super(`UCWA discovery failed at ${stripQuery(href)}: ${problem}`);
  }
}
