import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BearerVerifier, BearerVerifierOptions } from '../auth/inbound/bearer-verifier.js';
import { bearerVerifierOptionsFromSettings } from '../auth/inbound/verifier-from-settings.js';
import { OUTBOX_TABLE, Outbox, type OutboxOptions } from '../chat/outbox.js';
import type { ChatSink } from '../chat/sink.js';
import { createChatSinks } from '../chat/sinks.js';
import { required, type Settings, SettingsError } from '../config.js';
import { Gatekeeper } from '../gatekeeper/gatekeeper.js';
import { consoleLogger, type Logger, scrubbingLogger, withFields } from '../gatekeeper/logger.js';
import { waitingGuests } from '../gatekeeper/meetings.js';
import { DEFAULT_POLICY, type Policy, PolicyError, parsePolicy } from '../policy/policy.js';
import { AuditLog } from '../store/audit-log.js';
import { ChannelLease } from '../store/channel-lease.js';
import { TableClaimStore } from '../store/claim-store.js';
import { CursorStore } from '../store/cursor-store.js';
import {
  loadBlobServiceClient,
  type StorageTarget,
  storageTargetFromEnv,
  tableClient,
} from '../store/storage.js';
import {
  deferredTelemetry,
  telemetry as loadTelemetry,
  noTelemetry,
  scrubbingTelemetry,
  type Telemetry,
  withProperties,
} from '../telemetry.js';
import { UcwaClient, type UcwaClientOptions } from '../ucwa/client.js';
import type { TokenSource } from '../ucwa/token-source.js';
import { DEFAULT_ACCOUNT } from './accounts.js';
import { createTokenSourceFromSettings } from './token-source-factory.js';

/** Everything a function needs for one account, built once per process from the settings. */
export interface Runtime {
  /** The account guarded (`DEFAULT_ACCOUNT` when the deployment lists none). */
  account: string;
  settings: Settings;
  policy: Policy;
  ucwa: UcwaClient;
  gatekeeper: Gatekeeper;
  cursors: CursorStore;
  lease: ChannelLease;
  audit: AuditLog;
  claims: TableClaimStore;
  outbox: Outbox;
  sinks: ChatSink[];
  telemetry: Telemetry;
  log: Logger;
  /** The clock every use case reads (`RuntimeOverrides.now`); the wall clock unless a test replaces it. */
  now: () => Date;
  /** Verifies inbound bearer tokens; built on first use (needs AZURE_TENANT_ID and INBOUND_AUDIENCE). */
  inbound(): BearerVerifier;
  /** Deliver queued notices to every sink within a time budget, honouring `signal`; the rest waits. */
  drainOutbox(signal?: AbortSignal): Promise<unknown>;
}

/** What tests and the local demo replace. */
export interface RuntimeOverrides {
  tokens?: TokenSource;
  telemetry?: Telemetry;
  log?: Logger;
  storage?: StorageTarget;
  fetch?: typeof fetch;
  ucwa?: Partial<Pick<UcwaClientOptions, 'eventChannel' | 'retry' | 'timeoutMs' | 'onRoundTrip'>>;
  /** The clock of the gatekeeper and its jobs (claims, audit days, alerts, deadlines); default the wall clock. */
  now?: () => Date;
  /** Chat retry timing; a soak or test shortens it so an outage's backlog clears within the run. */
  outbox?: Pick<OutboxOptions, 'backoff' | 'leaseMs'>;
  /** Prefix for table names and the lease blob, so several gatekeepers (tests, demo) can share one account. */
  namespace?: string;
  /**
   * The account this runtime guards. Its tables and lease blob take its id after the namespace, and every
   * log line and telemetry item names it; the default account keeps the names it had before accounts.
   */
  account?: string;
}

/** The gatekeeper's user agent; UCWA may refuse unknown ones (410 UserAgentNotAllowed). */
export const USER_AGENT = 'ucwa-gatekeeper/0.1';

export async function createRuntime(settings: Settings, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const discoveryUrl = required(settings, 'UCWA_DISCOVERY_URL');
  const policy = loadPolicy(settings.GATEKEEPER_POLICY);
  const account = overrides.account ?? DEFAULT_ACCOUNT;
  const named = account !== DEFAULT_ACCOUNT;
  // Logs and telemetry leave the process: both through the one scrubber, whatever sink they end in.
  const log = scrubbingLogger(
    named ? withFields(overrides.log ?? consoleLogger, { account }) : (overrides.log ?? consoleLogger),
  );
  const ns = `${overrides.namespace ?? ''}${named ? account : ''}`;
  const now = overrides.now ?? (() => new Date());
  let roundTrips = 0;
  const storage =
    overrides.storage ??
    storageTargetFromEnv({ ...process.env, AzureWebJobsStorage: settings.AzureWebJobsStorage });
  const sent =
    overrides.telemetry ??
    (settings.APPLICATIONINSIGHTS_CONNECTION_STRING
      ? deferredTelemetry(() =>
          loadTelemetry(
            settings.APPLICATIONINSIGHTS_CONNECTION_STRING,
            settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
          ),
        )
      : noTelemetry);
  const telemetry = scrubbingTelemetry(named ? withProperties(sent, { account }) : sent);
  // Tables are created on first use (the outbox's with its first notice): building the runtime sends nothing,
  // so the first request (a health report) does not wait for storage, nor for its credential in Azure.
  const outboxTable = tableClient(storage, `${ns}${OUTBOX_TABLE}`);

  const ucwa = new UcwaClient({
    discoveryUrl,
    tokens:
      overrides.tokens ?? createTokenSourceFromSettings(settings, { ...process.env, ...storageEnv(storage) }),
    ...(settings.UCWA_ALLOWED_ORIGINS ? { allowedOrigins: settings.UCWA_ALLOWED_ORIGINS } : {}),
    application: {
      userAgent: USER_AGENT,
      // Stable per account and deployment: re-posting after a cold start maps to the same application.
      endpointId: createHash('sha256')
        .update(`${discoveryUrl}|${settings.UCWA_USERNAME ?? ''}`)
        .digest('hex')
        .slice(0, 32),
      culture: 'en-us',
    },
    availability: {
      signInAs: 'Online',
      // Every modality makeMeAvailable allows that the gatekeeper summarises (docs/ucwa-protocol.md §5).
      supportedModalities: ['Messaging', 'PhoneAudio'],
      supportedMessageFormats: ['Plain'],
    },
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    ...overrides.ucwa,
    onRoundTrip: (info) => {
      roundTrips++;
      overrides.ucwa?.onRoundTrip?.(info);
    },
  });
  const claims = new TableClaimStore(tableClient(storage, `${ns}idempotency`));
  const audit = new AuditLog(tableClient(storage, `${ns}audit`));
  const outbox = new Outbox(outboxTable, { ...overrides.outbox, ...(named ? { account } : {}) });
  const cursors = new CursorStore(tableClient(storage, `${ns}cursor`));
  const imTo = settings.CHAT_UCWA_IM_TO;
  const sinks = createChatSinks(settings, {
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    ...(imTo
      ? {
          // From the service account, under the application the watch keeps; never a second application.
          sendInstantMessage: async (text: string) => {
            if (!ucwa.currentApplication) {
              const { state } = await cursors.read();
              if (!state.applicationHref)
                throw new Error('no UCWA application yet; the next run will send it');
              await ucwa.useApplication(state.applicationHref);
            }
            await ucwa.startMessaging(imTo, text, { subject: 'ucwa-gatekeeper' });
          },
        }
      : {}),
  });
  const gatekeeper = new Gatekeeper({
    ucwa,
    policy,
    mode: settings.GATEKEEPER_MODE,
    claims,
    audit,
    outbox,
    telemetry,
    log,
    roundTrips: () => roundTrips,
    now,
    waitingGuests: () => waitingGuests(ucwa, settings.WATCHED_MEETINGS),
  });
  let verifier: BearerVerifier | undefined;
  return {
    account,
    settings,
    policy,
    ucwa,
    gatekeeper,
    cursors,
    lease: new ChannelLease(() => loadBlobServiceClient(storage), 'gatekeeper-locks', `${ns}event-channel`),
    audit,
    claims,
    outbox,
    sinks,
    telemetry,
    log,
    now,
    inbound: () => {
      verifier ??= lazyVerifier(
        bearerVerifierOptionsFromSettings(settings, {
          onFailure: ({ reason }) => telemetry.metric('InboundAuthFailures', 1, { reason }),
        }),
      );
      return verifier;
    },
    drainOutbox: async (signal?: AbortSignal) => {
      const result = await outbox.drainAll({ sinks, ...(signal ? { signal } : {}) });
      if (result.delivered > 0) telemetry.event('SummaryPosted', {}, { delivered: result.delivered });
      telemetry.metric('OutboxPending', result.pending);
      return result;
    },
  };
}

/** GATEKEEPER_POLICY: the policy as JSON, or the path of a JSON file; unset means the default policy. */
export function loadPolicy(value: string | undefined): Policy {
  if (!value) return DEFAULT_POLICY;
  let json = value;
  if (!value.trimStart().startsWith('{')) {
    try {
      json = readFileSync(value, 'utf8');
    } catch {
      throw new SettingsError('GATEKEEPER_POLICY', `is neither JSON nor a readable file path`);
    }
  }
  try {
    return parsePolicy(json);
  } catch (error) {
    if (error instanceof PolicyError)
      throw new SettingsError('GATEKEEPER_POLICY', error.message.replace(/^GATEKEEPER_POLICY:? ?/, ''));
    throw error;
  }
}

/** The storage target as the environment variables the token cache factory reads. */
function storageEnv(target: StorageTarget): Record<string, string | undefined> {
  return {
    AzureWebJobsStorage: target.connectionString,
    AzureWebJobsStorage__blobServiceUri: target.blobServiceUri,
    AzureWebJobsStorage__tableServiceUri: target.tableServiceUri,
    AzureWebJobsStorage__clientId: target.clientId,
  };
}

/** The inbound verifier, its module (jose) loaded with the first request that needs it. */
function lazyVerifier(options: BearerVerifierOptions): BearerVerifier {
  const loading = import('../auth/inbound/bearer-verifier.js').then((m) => m.createBearerVerifier(options));
  return { verify: async (authorization, requirement) => (await loading).verify(authorization, requirement) };
}
