import type { ApplicationIdentity, Availability } from './application.js';
import type { EventChannelOptions } from './event-channel.js';
import type { RetryPolicy } from './retry.js';
import type { TokenSource } from './token-source.js';
import type { RoundTrip } from './transport.js';

/** What a UcwaClient is built from, and what each of its calls may take. */

export interface UcwaClientOptions {
  discoveryUrl: string;
  tokens: TokenSource;
  /** Explicit allow-list; by default the discovery origin and its domain (see OriginPolicy). */
  allowedOrigins?: readonly string[];
  application: ApplicationIdentity;
  /** makeMeAvailable body; without makeMeAvailable the account receives no invitations. */
  availability?: Availability;
  eventChannel?: EventChannelOptions;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** Parts per batch POST; UCWA allows about 100 outstanding requests per user, so 50 leaves room. */
  maxBatchParts?: number;
  onRoundTrip?: (info: RoundTrip) => void;
  random?: () => number;
}

/** The optional parameters every call takes (the Azure SDK's convention). */
export interface OperationOptions {
  abortSignal?: AbortSignal;
}
