import { scrubDeep, scrubError } from './scrub.js';

/**
 * The only module that knows `applicationinsights`. It is imported lazily, and only when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set: the package costs about half a second to load, which must not
 * land on every cold start. Properties are plain strings; callers never pass tokens or unmasked phone numbers.
 */
export interface Telemetry {
  event(
    name: TelemetryEvent,
    properties?: Record<string, string>,
    measurements?: Record<string, number>,
  ): void;
  metric(name: TelemetryMetric, value: number, properties?: Record<string, string>): void;
  exception(error: unknown, properties?: Record<string, string>): void;
  flush(): Promise<void>;
}

export type TelemetryEvent =
  | 'InvitationInspected'
  | 'ParticipantEjected'
  | 'SummaryPosted'
  | 'ActionFailed'
  | 'EventRejected'
  | 'ConcludeStepRejected'
  | 'ApplicationRecreated';

export type TelemetryMetric =
  | 'EventToActionMs'
  | 'UcwaRoundTripsPerEvent'
  | 'InboundAuthFailures'
  | 'OutboxPending';

/** Telemetry that goes nowhere: the default without a connection string. */
export const noTelemetry: Telemetry = {
  event: () => undefined,
  metric: () => undefined,
  exception: () => undefined,
  flush: async () => undefined,
};

/** Everything recorded, in memory: for tests and the local demo. */
export class MemoryTelemetry implements Telemetry {
  readonly events: {
    name: string;
    properties: Record<string, string>;
    measurements: Record<string, number>;
  }[] = [];
  readonly metrics: { name: string; value: number; properties: Record<string, string> }[] = [];
  readonly exceptions: { error: unknown; properties: Record<string, string> }[] = [];

  event(
    name: TelemetryEvent,
    properties: Record<string, string> = {},
    measurements: Record<string, number> = {},
  ) {
    this.events.push({ name, properties, measurements });
  }
  metric(name: TelemetryMetric, value: number, properties: Record<string, string> = {}) {
    this.metrics.push({ name, value, properties });
  }
  exception(error: unknown, properties: Record<string, string> = {}) {
    this.exceptions.push({ error, properties });
  }
  async flush() {}
}

/** Telemetry through the one scrubber: properties and exceptions may carry hrefs that name people. */
export function scrubbingTelemetry(inner: Telemetry): Telemetry {
  return {
    event: (name, properties, measurements) =>
      inner.event(name, properties && scrubDeep(properties), measurements),
    metric: (name, value, properties) => inner.metric(name, value, properties && scrubDeep(properties)),
    exception: (error, properties) => inner.exception(scrubError(error), properties && scrubDeep(properties)),
    flush: () => inner.flush(),
  };
}

/** Every event, metric and exception with the same properties added (the account it is about). */
export function withProperties(inner: Telemetry, added: Record<string, string>): Telemetry {
  return {
    event: (name, properties, measurements) => inner.event(name, { ...properties, ...added }, measurements),
    metric: (name, value, properties) => inner.metric(name, value, { ...properties, ...added }),
    exception: (error, properties) => inner.exception(error, { ...properties, ...added }),
    flush: () => inner.flush(),
  };
}

let shared: Promise<Telemetry> | undefined;

/** Application Insights when configured, else nothing. Never throws: telemetry must not break the product. */
export function telemetry(
  connectionString = process.env.APPLICATIONINSIGHTS_CONNECTION_STRING,
  authenticationString = process.env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
): Promise<Telemetry> {
  if (!connectionString) return Promise.resolve(noTelemetry);
  shared ??= import('applicationinsights')
    .then(async (ai) => {
      const configuration = ai
        .setup(connectionString)
        .setAutoCollectConsole(false)
        .setAutoCollectDependencies(false)
        .setSendLiveMetrics(false);
      const clientId = aadClientId(authenticationString);
      if (clientId !== undefined) {
        // The resource accepts only Entra-authenticated ingestion (local auth disabled).
        const { ManagedIdentityCredential } = await import('./auth/managed-identity-credential.js');
        ai.defaultClient.config.aadTokenCredential = new ManagedIdentityCredential(
          clientId ? { clientId } : {},
        );
      }
      configuration.start();
      const client = ai.defaultClient;
      const result: Telemetry = {
        event: (name, properties, measurements) =>
          client.trackEvent({
            name,
            ...(properties ? { properties } : {}),
            ...(measurements ? { measurements } : {}),
          }),
        metric: (name, value, properties) =>
          client.trackMetric({ name, value, ...(properties ? { properties } : {}) }),
        exception: (error, properties) =>
          client.trackException({
            exception: error instanceof Error ? error : new Error(String(error)),
            ...(properties ? { properties } : {}),
          }),
        flush: async () => {
          await client.flush();
        },
      };
      return scrubbingTelemetry(result);
    })
    .catch(() => noTelemetry);
  return shared;
}

/** `ClientId=<id>;Authorization=AAD` → the client id (`''` for a system-assigned identity); undefined without AAD. */
export function aadClientId(authenticationString: string | undefined): string | undefined {
  if (!authenticationString) return undefined;
  const parts = new Map(
    authenticationString.split(';').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim()] as const;
    }),
  );
  if (parts.get('authorization')?.toLowerCase() !== 'aad') return undefined;
  return parts.get('clientid') ?? '';
}

/**
 * Telemetry that loads when first used (something recorded, or a flush), in the background: parsing
 * applicationinsights (~9 MB bundled, ~0.5 s) lands on no first request, and on none that records nothing
 * (a health report). What is recorded before it is ready is queued (up to 500 calls) and replayed.
 */
export function deferredTelemetry(load: () => Promise<Telemetry>): Telemetry {
  let ready: Telemetry | undefined;
  let loading: Promise<Telemetry> | undefined;
  const queue: ((t: Telemetry) => void)[] = [];
  const start = () => {
    loading ??= new Promise<Telemetry>((resolve) => setImmediate(() => resolve(load()))).then((loaded) => {
      ready = loaded;
      for (const call of queue.splice(0)) call(loaded);
      return loaded;
    });
    return loading;
  };
  const forward = (call: (t: Telemetry) => void) => {
    if (ready) return call(ready);
    void start();
    if (queue.length < 500) queue.push(call);
  };
  return {
    event: (name, properties, measurements) => forward((t) => t.event(name, properties, measurements)),
    metric: (name, value, properties) => forward((t) => t.metric(name, value, properties)),
    exception: (error, properties) => forward((t) => t.exception(error, properties)),
    flush: async () => (await start()).flush(),
  };
}
