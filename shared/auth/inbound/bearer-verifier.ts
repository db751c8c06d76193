import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { authorityConfig } from '../authority.js';
import { openIdMetadataLoader } from './openid-metadata.js';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails, problem } from './problem-details.js';

export { GatekeeperRole } from './roles.js';

export type BearerAlgorithm = 'RS256' | 'PS256';

export interface BearerVerifierOptions {
  tenantId: string;
  /** `INBOUND_AUDIENCE`: the `aud` tokens must carry (one of several, when a list). */
  audience: string | string[];
  /** Default https://login.microsoftonline.com. */
  authorityHost?: string;
  /** Allowed clock difference for `exp` and `nbf`; default 60 s. */
  clockToleranceSeconds?: number;
  /** Default RS256 and PS256; nothing else is ever accepted. */
  algorithms?: BearerAlgorithm[];
  /** Minimum time between two JWKS fetches (an unknown `kid` triggers one); default 30 s, as jose. */
  jwksCooldownMs?: number;
  /** Refetch the JWKS after this long even without an unknown `kid`; default 10 min. */
  jwksCacheMaxAgeMs?: number;
  /** Keep the OpenID configuration this long; default a day. */
  metadataTtlMs?: number;
  /** Called for every refused request (a counter, a metric). */
  onFailure?: (failure: { reason: BearerFailureReason; status: number }) => void;
}

/** What a request must have: any one of the roles (`roles` claim) or any one of the scopes (`scp`). */
export interface AccessRequirement {
  anyRole?: readonly string[];
  anyScope?: readonly string[];
}

export type BearerFailureReason =
  | 'missing_token'
  | 'malformed_header'
  | 'malformed_token'
  | 'disallowed_algorithm'
  | 'unknown_key'
  | 'invalid_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'invalid_claims'
  | 'insufficient_permission'
  | 'metadata_unavailable';

export interface VerifiedCaller {
  subject: string;
  objectId?: string;
  tenantId?: string;
  /** The calling app (`azp`, or `appid` in v1 tokens). */
  clientId?: string;
  roles: string[];
  scopes: string[];
  claims: JWTPayload;
}

export interface BearerFailure {
  status: 401 | 403 | 503;
  reason: BearerFailureReason;
  /** `WWW-Authenticate` (401, 403), `Retry-After` (503) and the problem content type. */
  headers: Record<string, string>;
  body: ProblemDetails;
}

export type BearerVerification = { ok: true; caller: VerifiedCaller } | { ok: false; failure: BearerFailure };

export interface BearerVerifier {
  verify(
    authorization: string | null | undefined,
    requirement: AccessRequirement,
  ): Promise<BearerVerification>;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

const DESCRIPTIONS: Record<BearerFailureReason, string> = {
  missing_token: 'The request carries no bearer token.',
  malformed_header: 'The Authorization header is not a bearer token.',
  malformed_token: 'The access token is malformed.',
  disallowed_algorithm: 'The access token is signed with an algorithm that is not accepted.',
  unknown_key: 'The access token is signed with an unknown key.',
  invalid_signature: 'The access token signature is invalid.',
  expired: 'The access token has expired.',
  not_yet_valid: 'The access token is not valid yet.',
  wrong_audience: 'The access token is for another audience.',
  wrong_issuer: 'The access token is from another issuer.',
  invalid_claims: 'The access token claims are invalid.',
  insufficient_permission: 'The access token lacks the required role or scope.',
  metadata_unavailable: 'The signing keys of the identity provider are unavailable; try again later.',
};

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function failureFor(reason: BearerFailureReason, requirement?: AccessRequirement): BearerFailure {
  const description = DESCRIPTIONS[reason];
  if (reason === 'metadata_unavailable') {
    return {
      status: 503,
      reason,
      headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': '30' },
      body: problem(503, description),
    };
  }
  if (reason === 'insufficient_permission') {
    const needed = [...(requirement?.anyRole ?? []), ...(requirement?.anyScope ?? [])].join(' ');
    return {
      status: 403,
      reason,
      headers: {
        'content-type': PROBLEM_CONTENT_TYPE,
        'www-authenticate': `Bearer error="insufficient_scope", error_description="${description}", scope="${needed}"`,
      },
      body: problem(403, description, 'insufficient_scope'),
    };
  }
  const error =
    reason === 'missing_token' || reason === 'malformed_header' ? 'invalid_request' : 'invalid_token';
  return {
    status: 401,
    reason,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      'www-authenticate': `Bearer error="${error}", error_description="${description}"`,
    },
    body: problem(401, description, error),
  };
}

/** Maps jose's errors to reasons; anything not about the token itself means the keys were unreachable. */
function reasonFor(error: unknown): BearerFailureReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'not_yet_valid';
    if (error.claim === 'aud') return 'wrong_audience';
    if (error.claim === 'iss') return 'wrong_issuer';
    return 'invalid_claims';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'disallowed_algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'invalid_signature';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'unknown_key';
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return 'malformed_token';
  }
  return 'metadata_unavailable';
}

/**
 * Verifies Azure AD v2 bearer tokens: RS256/PS256 signature against the tenant's JWKS, issuer, audience,
 * exp/nbf with clock tolerance, then the required role or scope. Sends nothing until the first `verify`.
 */
export function createBearerVerifier(options: BearerVerifierOptions): BearerVerifier {
  const { authority } = authorityConfig(options.authorityHost, options.tenantId);
  // The issuer comes from the tenant's metadata: with a domain-name tenant it names the GUID, not the domain.
  const metadata = openIdMetadataLoader({
    authority,
    tenantId: options.tenantId,
    ...(options.metadataTtlMs !== undefined ? { ttlMs: options.metadataTtlMs } : {}),
  });
  let keySet: { uri: string; keys: ReturnType<typeof createRemoteJWKSet> } | undefined;

  async function keys() {
    const { jwksUri, issuer } = await metadata();
    if (keySet?.uri !== jwksUri) {
      keySet = {
        uri: jwksUri,
        keys: createRemoteJWKSet(new URL(jwksUri), {
          cooldownDuration: options.jwksCooldownMs ?? 30_000,
          cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
          timeoutDuration: 5000,
        }),
      };
    }
    return { keys: keySet.keys, issuer };
  }

  function fail(reason: BearerFailureReason, requirement?: AccessRequirement): BearerVerification {
    const failure = failureFor(reason, requirement);
    options.onFailure?.({ reason, status: failure.status });
    return { ok: false, failure };
  }

  return {
    async verify(authorization, requirement) {
      const anyRole = requirement.anyRole ?? [];
      const anyScope = requirement.anyScope ?? [];
      if (anyRole.length === 0 && anyScope.length === 0) {
        throw new TypeError('an access requirement needs at least one role or scope');
      }
      if (!authorization?.trim()) return fail('missing_token');
      const token = BEARER.exec(authorization)?.[1];
      if (!token) return fail('malformed_header');

      let payload: JWTPayload;
      try {
        const { keys: jwks, issuer } = await keys();
        ({ payload } = await jwtVerify(token, jwks, {
          issuer,
          audience: options.audience,
          algorithms: options.algorithms ?? ['RS256', 'PS256'],
          clockTolerance: options.clockToleranceSeconds ?? 60,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        return fail(reasonFor(error));
      }

      const roles = stringList(payload.roles);
      const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [];
      const permitted =
        anyRole.some((role) => roles.includes(role)) || anyScope.some((scope) => scopes.includes(scope));
      if (!permitted) return fail('insufficient_permission', requirement);

      const caller: VerifiedCaller = { subject: payload.sub ?? '', roles, scopes, claims: payload };
      if (typeof payload.oid === 'string') caller.objectId = payload.oid;
      if (typeof payload.tid === 'string') caller.tenantId = payload.tid;
      const clientId = payload.azp ?? payload.appid;
      if (typeof clientId === 'string') caller.clientId = clientId;
      return { ok: true, caller };
    },
  };
}
