import type {
  AccountOptions,
  HrefStyle,
  JwtIssuerOptions,
  ParticipantIdStyle,
  PathFamily,
  SimulatorOptions,
} from './types.js';

export interface ResolvedOptions {
  host: string;
  port: number;
  pathFamily: PathFamily;
  participantIds: ParticipantIdStyle;
  discoveryRedirects: number;
  discoveryRedirectsAs: 'link' | 'http';
  allowedModalities: ReadonlySet<string>;
  deliverRegisteredModalitiesOnly: boolean;
  separatePoolOrigin: boolean;
  account: Required<AccountOptions>;
  /** Further users of the same server (`SimulatorOptions.moreAccounts`). */
  moreAccounts: Required<AccountOptions>[];
  /** The account's SIP domain (`contoso.com`). */
  domain: string;
  latencyMs: number;
  minTimeoutSec: number;
  defaultTimeoutSec: number;
  resumeAfterMs: number;
  applicationIdleTimeoutMs: number;
  activityTimeoutMs: number;
  scopedOpaqueTokens: boolean;
  batchLimit: number;
  batchPartsNeedLength: boolean;
  acceptJwt: JwtIssuerOptions[];
  tokenLifetimeSec: number;
  hrefStyle: HrefStyle;
  traffic: 'captured' | 'sparse';
  outgoingInvitationEvents: 'embedded' | 'link';
  rosterEvents: boolean;
}

const DEFAULT_ACCOUNT: AccountOptions = { uri: 'sip:gatekeeper@contoso.com', name: 'Gatekeeper Service' };

export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const account = options.account ?? DEFAULT_ACCOUNT;
  const bareUri = account.uri.replace(/^sip:/i, '');
  const domain = bareUri.split('@')[1] ?? 'contoso.com';
  const minTimeoutSec = Math.max(0.001, options.eventChannel?.minTimeoutSec ?? 180);
  const redirects = options.discoveryRedirects ?? 0;
  if (!Number.isInteger(redirects) || redirects < 0)
    throw new Error('discoveryRedirects must be a whole number ≥ 0');
  for (const issuer of options.tokens?.acceptJwt ?? []) {
    if (!issuer.jwks && !issuer.jwksUri)
      throw new Error(`acceptJwt issuer ${issuer.issuer} needs jwks or jwksUri`);
  }
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    pathFamily: options.pathFamily ?? 'oauth',
    participantIds: options.participantIds ?? 'numeric',
    discoveryRedirects: redirects,
    discoveryRedirectsAs: options.discoveryRedirectsAs ?? 'link',
    allowedModalities: new Set(options.modalities?.allowed ?? ['Messaging', 'PhoneAudio']),
    deliverRegisteredModalitiesOnly: options.modalities?.deliverRegisteredOnly ?? true,
    separatePoolOrigin: options.separatePoolOrigin ?? true,
    account: resolveAccount(account),
    moreAccounts: (options.moreAccounts ?? []).map(resolveAccount),
    domain,
    latencyMs: options.latencyMs ?? 0,
    minTimeoutSec,
    defaultTimeoutSec: Math.max(minTimeoutSec, options.eventChannel?.defaultTimeoutSec ?? 180),
    resumeAfterMs: options.eventChannel?.resumeAfterMs ?? 10 * 60_000,
    applicationIdleTimeoutMs: options.applicationIdleTimeoutMs ?? 15 * 60_000,
    activityTimeoutMs: options.activityTimeoutMs ?? 5 * 60_000,
    scopedOpaqueTokens: options.tokens?.scopedOpaqueTokens ?? false,
    batchLimit: options.batchLimit ?? 100,
    batchPartsNeedLength: options.batchPartsNeedLength ?? true,
    acceptJwt: options.tokens?.acceptJwt ?? [],
    tokenLifetimeSec: options.tokens?.defaultLifetimeSec ?? 28_800,
    hrefStyle: options.hrefStyle ?? 'mixed',
    traffic: options.traffic ?? 'captured',
    outgoingInvitationEvents: options.outgoingInvitationEvents ?? 'embedded',
    rosterEvents: options.rosterEvents ?? true,
  };
}

function resolveAccount(account: AccountOptions): Required<AccountOptions> {
  return {
    uri: account.uri,
    name: account.name,
    username: account.username ?? account.uri.replace(/^sip:/i, ''),
    password: account.password ?? 'P@ssw0rd',
  };
}
