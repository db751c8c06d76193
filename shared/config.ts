import { z } from 'zod';
import { MODES } from './gatekeeper/outcome.js';
import { isHttpsOrLoopback } from './lib/loopback.js';

/**
 * Every setting the code reads, in one place. Parsed lazily and memoised: an exception while the app's
 * modules load would stop the Functions host from registering any function, so nothing here runs at import.
 */

/** https, or http on a loopback address (local use and tests). */
const secureUrl = z
  .url()
  .refine(
    (value) => isHttpsOrLoopback(new URL(value)),
    'must be an https URL (http is accepted only for loopback addresses)',
  );

/** Comma- or whitespace-separated: not `;`, which meeting URIs contain (`;gruu;opaque=…`). */
const list = z
  .string()
  .transform((value) =>
    value
      .split(/[,\s]+/)
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string()));

/** Standard Webhooks secrets (shared/chat/signature.ts), separated by spaces while one rotates. */
const webhookSecrets = z.string().refine(
  (value) =>
    value
      .split(/[\s,]+/)
      .filter(Boolean)
      .every(isWebhookSecret),
  'must be whsec_ and the base64 of 24 to 64 random bytes (several separated by spaces while rotating)',
);

function isWebhookSecret(secret: string): boolean {
  const encoded = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret)?.[1];
  if (encoded === undefined || encoded.length % 4 !== 0) return false;
  const bytes = Buffer.from(encoded, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}

/** A retention period: whole days, at least one, at most ten years. */
const days = z.coerce.number().int().min(1).max(3650);

/** Documentation for every setting, shared by the README table and the infrastructure test. */
export interface SettingDoc {
  description: string;
  secret: boolean;
  default?: string;
}

export const settingDocs = {
  UCWA_DISCOVERY_URL: {
    description:
      'Autodiscover root, e.g. `https://lyncdiscover.contoso.com/autodiscover/autodiscoverservice.svc/root`.',
    secret: false,
  },
  UCWA_ALLOWED_ORIGINS: {
    description:
      'Origins the bearer token may be sent to (comma-separated). Default: the discovery origin and the origins discovery leads to within the same domain.',
    secret: false,
  },
  UCWA_KEEPALIVE_SECONDS: {
    description:
      'Seconds between activity reports (`reportMyActivity`), without which UCWA expires the application; 30–230 (UCWA asks for one at least every four minutes).',
    secret: false,
    default: '180',
  },
  AUTH_MODE: {
    description: 'How the service account signs in: `password`, `device-code` or `sfb-server`.',
    secret: false,
    default: 'password',
  },
  UCWA_USERNAME: {
    description: 'Service account user name (`password` and `sfb-server` modes).',
    secret: false,
  },
  UCWA_PASSWORD: {
    description: 'Service account password (`password` and `sfb-server` modes).',
    secret: true,
  },
  AZURE_TENANT_ID: { description: 'Azure AD tenant (GUID or domain).', secret: false },
  AZURE_CLIENT_ID: {
    description: 'Application (client) id of the gatekeeper app registration.',
    secret: false,
  },
  AZURE_CLIENT_SECRET: {
    description: 'Client secret; when set, MSAL uses a confidential client.',
    secret: true,
  },
  AZURE_AUTHORITY_HOST: {
    description:
      'Authority host. A custom host (sovereign cloud, AD FS, local test authority) is trusted explicitly.',
    secret: false,
    default: 'https://login.microsoftonline.com',
  },
  INBOUND_AUDIENCE: {
    description: 'Audience that inbound bearer tokens (events webhook, inspect) must carry.',
    secret: false,
  },
  GATEKEEPER_MODE: {
    description: '`dry-run` (decide and report, act on nothing) or `enforce`.',
    secret: false,
    default: 'dry-run',
  },
  GATEKEEPER_POLICY: {
    description:
      'The policy as JSON, or the path of a JSON file. Default: summarise everything, eject anonymous lobby guests.',
    secret: false,
  },
  WATCHED_MEETINGS: {
    description: 'Online meeting URIs to join and guard (comma-separated).',
    secret: false,
  },
  GATEKEEPER_ACCOUNTS: {
    description:
      'Ids of the accounts to guard (comma-separated; a lower case letter, then up to 23 lower case letters or digits). Each takes its own settings as `ACCOUNT__<id>__<SETTING>` and inherits the rest (see `docs/accounts.md`). Unset: one account, from the settings above.',
    secret: false,
  },
  CHAT_TEAMS_WEBHOOK_URL: { description: 'Microsoft Teams Workflows webhook URL.', secret: true },
  CHAT_SLACK_WEBHOOK_URL: { description: 'Slack incoming webhook URL.', secret: true },
  CHAT_WEBHOOK_URL: { description: 'Generic JSON webhook URL (signed by Standard Webhooks).', secret: true },
  CHAT_WEBHOOK_SECRET: {
    description:
      'Standard Webhooks secret for the generic webhook: `whsec_` and the base64 of 24–64 random bytes (`echo whsec_$(openssl rand -base64 32)`). While rotating, the new and the old secret separated by a space: each delivery is signed with both.',
    secret: true,
  },
  CHAT_UCWA_IM_TO: {
    description: 'A SIP address that also gets every summary as an instant message from the service account.',
    secret: false,
  },
  OUTBOX_RETENTION_DAYS: {
    description:
      'Days a finished chat notice (sender facts, first message) and a finished claim are kept before the daily purge deletes them.',
    secret: false,
    default: '7',
  },
  AUDIT_RETENTION_DAYS: {
    description:
      'Days an audit row (who, which decision, what came of it) is kept before the daily purge deletes it.',
    secret: false,
    default: '90',
  },
  AzureWebJobsStorage: {
    description:
      'Storage connection string (Azurite locally). In Azure use the identity-based `AzureWebJobsStorage__*` settings instead.',
    secret: true,
  },
  AzureWebJobsStorage__tableServiceUri: {
    description:
      'Identity-based storage in Azure: the Table service URI (state: cursor, idempotency, audit, outbox).',
    secret: false,
  },
  AzureWebJobsStorage__queueServiceUri: {
    description:
      "Identity-based storage in Azure: the Queue service URI (the accounts' jobs, fanned out by the timers).",
    secret: false,
  },
  AzureWebJobsStorage__blobServiceUri: {
    description: 'Identity-based storage in Azure: the Blob service URI (MSAL token cache, channel lease).',
    secret: false,
  },
  AzureWebJobsStorage__clientId: {
    description: 'Client id of the user-assigned managed identity used for identity-based storage.',
    secret: false,
  },
  APPLICATIONINSIGHTS_CONNECTION_STRING: {
    description: 'Application Insights connection string; telemetry is off when unset.',
    secret: false,
  },
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: {
    description:
      '`ClientId=<managed identity client id>;Authorization=AAD`: send telemetry with Entra ID (required when local auth is disabled).',
    secret: false,
  },
} as const satisfies Record<string, SettingDoc>;

export type SettingName = keyof typeof settingDocs;

const optionalString = z.string().min(1).optional();

const settingsSchema = z.object({
  UCWA_DISCOVERY_URL: secureUrl.optional(),
  UCWA_ALLOWED_ORIGINS: list.optional(),
  UCWA_KEEPALIVE_SECONDS: z.coerce.number().int().min(30).max(230).default(180),
  AUTH_MODE: z.enum(['password', 'device-code', 'sfb-server']).default('password'),
  UCWA_USERNAME: optionalString,
  UCWA_PASSWORD: optionalString,
  AZURE_TENANT_ID: optionalString,
  AZURE_CLIENT_ID: optionalString,
  AZURE_CLIENT_SECRET: optionalString,
  AZURE_AUTHORITY_HOST: secureUrl.default('https://login.microsoftonline.com'),
  INBOUND_AUDIENCE: optionalString,
  GATEKEEPER_MODE: z.enum(MODES).default('dry-run'),
  GATEKEEPER_POLICY: optionalString,
  WATCHED_MEETINGS: list.default([]),
  GATEKEEPER_ACCOUNTS: list.default([]),
  CHAT_TEAMS_WEBHOOK_URL: secureUrl.optional(),
  CHAT_SLACK_WEBHOOK_URL: secureUrl.optional(),
  CHAT_WEBHOOK_URL: secureUrl.optional(),
  CHAT_WEBHOOK_SECRET: webhookSecrets.optional(),
  CHAT_UCWA_IM_TO: z
    .string()
    .regex(/^sip:[^@\s]+@[^@\s]+$/i, 'must be a SIP URI such as sip:admin@contoso.com')
    .optional(),
  OUTBOX_RETENTION_DAYS: days.default(7),
  AUDIT_RETENTION_DAYS: days.default(90),
  AzureWebJobsStorage: optionalString,
  AzureWebJobsStorage__tableServiceUri: z.url().optional(),
  AzureWebJobsStorage__queueServiceUri: z.url().optional(),
  AzureWebJobsStorage__blobServiceUri: z.url().optional(),
  AzureWebJobsStorage__clientId: optionalString,
  APPLICATIONINSIGHTS_CONNECTION_STRING: optionalString,
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: optionalString,
} satisfies Record<SettingName, z.ZodType>);

export type Settings = z.output<typeof settingsSchema>;

/** A missing or bad setting; the message names it and never echoes its value. */
export class SettingsError extends Error {
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`Setting ${setting}: ${problem}`);
    this.name = 'SettingsError';
  }
}

/** Parse settings from an environment. Empty strings count as unset, as in the Functions portal. */
export function parseSettings(env: Record<string, string | undefined>): Settings {
  const input: Record<string, string> = {};
  for (const name of Object.keys(settingDocs)) {
    const value = env[name]?.trim();
    if (value) input[name] = value;
  }
  const result = settingsSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SettingsError(String(issue?.path[0] ?? 'unknown'), issue?.message ?? 'invalid');
  }
  return result.data;
}

let memo: Settings | undefined;

/** The process's settings, parsed on first use. */
export function settings(): Settings {
  memo ??= parseSettings(process.env);
  return memo;
}

/** Tests and the local host change the environment between runs. */
export function resetSettings(): void {
  memo = undefined;
}

/** The setting `name`, or a SettingsError naming it. */
export function required<K extends keyof Settings>(s: Settings, name: K): NonNullable<Settings[K]> {
  const value = s[name];
  if (value === undefined || value === null) throw new SettingsError(name, 'is required but not set');
  return value as NonNullable<Settings[K]>;
}
