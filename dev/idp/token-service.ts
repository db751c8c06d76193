import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Directory, IdpClient, IdpUser } from './directory.js';
import { secretsEqual } from './directory.js';
import { DEFAULT_DELEGATED_SCOPES, parseRequestedScopes, type RequestedScopes } from './scopes.js';
import type { SigningKeyRing } from './signing-keys.js';
import { mintJwt } from './token-minter.js';

export interface TokenServiceSettings {
  issuer: string;
  tenant: string;
  accessTokenLifetimeSeconds: number;
  refreshTokenLifetimeSeconds: number;
  deviceCodeLifetimeSeconds: number;
  deviceCodeIntervalSeconds: number;
  /** Where an operator enters a device code. */
  verificationUri: string;
}

/** An OAuth endpoint's answer, plus what the request log may record (never a secret). */
export interface OAuthResult {
  status: number;
  body: Record<string, unknown>;
  audit: { grantType?: string; clientId?: string; username?: string; scope?: string; error?: string };
}

interface RefreshTokenRecord {
  username: string;
  clientId: string;
  expiresAt: number;
}

interface DeviceCodeRecord {
  userCode: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  approvedBy?: string;
  denied?: boolean;
}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** An AAD error answer: `error` and `description`, then any more body fields AAD sends with that error. */
function failure(
  audit: OAuthResult['audit'],
  status: number,
  { error, description, ...extra }: { error: string; description: string } & Record<string, unknown>,
): OAuthResult {
  return {
    status,
    body: {
      error,
      error_description: description,
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
      ...extra,
    },
    audit: { ...audit, error },
  };
}

/** Issues tokens the way Azure AD v2 does, for the grants the gatekeeper uses. */
export class TokenService {
  readonly #refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly #deviceCodes = new Map<string, DeviceCodeRecord>();

  constructor(
    readonly settings: TokenServiceSettings,
    private readonly directory: Directory,
    private readonly keys: SigningKeyRing,
  ) {}

  /** `POST /oauth2/v2.0/token`. */
  async token(form: URLSearchParams, basic?: { id: string; secret: string }): Promise<OAuthResult> {
    const grantType = form.get('grant_type') ?? '';
    const clientId = basic?.id ?? form.get('client_id') ?? '';
    const scope = form.get('scope');
    const audit: OAuthResult['audit'] = { grantType, clientId, ...(scope !== null && { scope }) };
    const client = this.directory.client(clientId);
    if (!client) {
      return failure(audit, 400, {
        error: 'unauthorized_client',
        description: `AADSTS700016: Application '${clientId}' was not found.`,
      });
    }
    const secret = basic?.secret ?? form.get('client_secret') ?? undefined;
    if (
      client.clientSecret === undefined
        ? secret !== undefined
        : !secretsEqual(secret ?? '', client.clientSecret)
    ) {
      return failure(audit, 401, {
        error: 'invalid_client',
        description: 'AADSTS7000215: Invalid client secret provided.',
      });
    }
    switch (grantType) {
      case 'password':
        return this.#passwordGrant(form, client, audit);
      case 'refresh_token':
        return this.#refreshGrant(form, client, audit);
      case DEVICE_CODE_GRANT:
      case 'device_code':
        return this.#deviceCodeGrant(form, client, audit);
      case 'client_credentials':
        return this.#clientCredentialsGrant(form, client, audit);
      default:
        return failure(audit, 400, {
          error: 'unsupported_grant_type',
          description: `AADSTS70003: grant type '${grantType}' is not supported.`,
        });
    }
  }

  /** `POST /oauth2/v2.0/devicecode`. */
  deviceCode(form: URLSearchParams): OAuthResult {
    const clientId = form.get('client_id') ?? '';
    const scope = form.get('scope') ?? '';
    const audit = { clientId, scope };
    if (!this.directory.client(clientId)) {
      return failure(audit, 400, {
        error: 'unauthorized_client',
        description: `AADSTS700016: Application '${clientId}' was not found.`,
      });
    }
    const parsed = parseRequestedScopes(scope);
    if (!parsed.ok) return failure(audit, 400, { error: 'invalid_scope', description: parsed.description });
    const deviceCode = randomBytes(32).toString('base64url');
    const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    const userCode = Array.from({ length: 9 }, () => alphabet[randomInt(alphabet.length)]).join('');
    const expiresIn = this.settings.deviceCodeLifetimeSeconds;
    this.#deviceCodes.set(deviceCode, {
      userCode,
      clientId,
      scope,
      expiresAt: Date.now() + expiresIn * 1000,
    });
    const verificationUri = this.settings.verificationUri;
    return {
      status: 200,
      body: {
        user_code: userCode,
        device_code: deviceCode,
        verification_uri: verificationUri,
        expires_in: expiresIn,
        interval: this.settings.deviceCodeIntervalSeconds,
        message: `To sign in, open ${verificationUri} and enter the code ${userCode} to authenticate.`,
      },
      audit,
    };
  }

  /** Completes a pending device code as `username` (what the operator does in the browser). */
  approveDeviceCode(userCode: string, username: string): boolean {
    const record = this.#deviceCodeByUserCode(userCode);
    if (!record || !this.directory.user(username)) return false;
    record.approvedBy = username;
    return true;
  }

  denyDeviceCode(userCode: string): boolean {
    const record = this.#deviceCodeByUserCode(userCode);
    if (!record) return false;
    record.denied = true;
    return true;
  }

  /** Invalidates the refresh tokens of `username`, or all of them. Returns how many. */
  revokeRefreshTokens(username?: string): number {
    let count = 0;
    for (const [token, record] of this.#refreshTokens) {
      if (username === undefined || record.username.toLowerCase() === username.toLowerCase()) {
        this.#refreshTokens.delete(token);
        count++;
      }
    }
    return count;
  }

  setAccessTokenLifetime(seconds: number): void {
    this.settings.accessTokenLifetimeSeconds = seconds;
  }

  #deviceCodeByUserCode(userCode: string): DeviceCodeRecord | undefined {
    const wanted = userCode.trim().toUpperCase();
    for (const record of this.#deviceCodes.values()) if (record.userCode === wanted) return record;
    return undefined;
  }

  async #passwordGrant(form: URLSearchParams, client: IdpClient, audit: OAuthResult['audit']) {
    const username = form.get('username') ?? '';
    const user = this.directory.authenticate(username, form.get('password') ?? '');
    const withUser = { ...audit, username };
    if (!user) {
      return failure(withUser, 400, {
        error: 'invalid_grant',
        description: 'AADSTS50126: Error validating credentials due to invalid username or password.',
        error_codes: [50126],
      });
    }
    return this.#issueForUser(user, client, form.get('scope'), withUser);
  }

  async #refreshGrant(form: URLSearchParams, client: IdpClient, audit: OAuthResult['audit']) {
    const presented = form.get('refresh_token') ?? '';
    const record = this.#refreshTokens.get(presented);
    // Rotation: a refresh token is good for one use; the answer carries its successor.
    this.#refreshTokens.delete(presented);
    if (!record || record.expiresAt <= Date.now() || record.clientId !== client.clientId) {
      return failure(audit, 400, {
        error: 'invalid_grant',
        description: 'AADSTS700082: The refresh token has expired, was revoked or was already used.',
        error_codes: [700082],
        suberror: 'bad_token',
      });
    }
    const user = this.directory.user(record.username);
    if (!user)
      return failure(audit, 400, {
        error: 'invalid_grant',
        description: 'AADSTS50034: The user account does not exist.',
      });
    return this.#issueForUser(user, client, form.get('scope'), { ...audit, username: user.username });
  }

  async #deviceCodeGrant(form: URLSearchParams, client: IdpClient, audit: OAuthResult['audit']) {
    const code = form.get('device_code') ?? '';
    const record = this.#deviceCodes.get(code);
    if (!record || record.clientId !== client.clientId) {
      return failure(audit, 400, {
        error: 'invalid_grant',
        description: 'AADSTS70000: The device code is not valid.',
      });
    }
    if (record.expiresAt <= Date.now()) {
      this.#deviceCodes.delete(code);
      return failure(audit, 400, {
        error: 'expired_token',
        description: 'AADSTS70020: The device code has expired.',
      });
    }
    if (record.denied) {
      this.#deviceCodes.delete(code);
      return failure(audit, 400, {
        error: 'authorization_declined',
        description: 'AADSTS70000: The user declined the sign-in.',
      });
    }
    if (!record.approvedBy) {
      return failure(audit, 400, {
        error: 'authorization_pending',
        description: 'AADSTS70016: Waiting for the user to sign in.',
      });
    }
    this.#deviceCodes.delete(code);
    const user = this.directory.user(record.approvedBy);
    if (!user)
      return failure(audit, 400, {
        error: 'invalid_grant',
        description: 'AADSTS50034: The user account does not exist.',
      });
    return this.#issueForUser(user, client, form.get('scope') ?? record.scope, {
      ...audit,
      username: user.username,
    });
  }

  async #clientCredentialsGrant(form: URLSearchParams, client: IdpClient, audit: OAuthResult['audit']) {
    if (client.clientSecret === undefined) {
      return failure(audit, 400, {
        error: 'invalid_client',
        description: 'AADSTS7000218: A client secret is required.',
      });
    }
    const parsed = parseRequestedScopes(form.get('scope'));
    if (!parsed.ok) return failure(audit, 400, { error: 'invalid_scope', description: parsed.description });
    const { resource, names } = parsed.scopes;
    if (!resource || names.length !== 1 || names[0] !== '.default') {
      return failure(audit, 400, {
        error: 'invalid_scope',
        description: 'AADSTS1002012: The scope must be <resource>/.default.',
      });
    }
    const lifetime = this.settings.accessTokenLifetimeSeconds;
    const accessToken = await this.#sign(
      {
        aud: resource,
        sub: client.oid,
        oid: client.oid,
        azp: client.clientId,
        azpacr: '1',
        roles: client.appRoles ?? [],
        idtyp: 'app',
        uti: randomBytes(16).toString('base64url'),
      },
      lifetime,
    );
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: accessToken,
      },
      audit,
    };
  }

  async #issueForUser(
    user: IdpUser,
    client: IdpClient,
    scope: string | null,
    audit: OAuthResult['audit'],
  ): Promise<OAuthResult> {
    const parsed = parseRequestedScopes(scope);
    if (!parsed.ok) return failure(audit, 400, { error: 'invalid_scope', description: parsed.description });
    const requested = parsed.scopes;
    const granted = this.#grantedNames(user, requested);
    if (requested.names.length > 0 && granted.length === 0) {
      return failure(audit, 400, {
        error: 'invalid_grant',
        description: 'AADSTS65001: The user has not consented to any requested scope.',
        suberror: 'consent_required',
      });
    }
    const lifetime = this.settings.accessTokenLifetimeSeconds;
    const resource = requested.resource ?? client.clientId;
    const accessToken = await this.#sign(
      {
        aud: resource,
        sub: this.#pairwiseSubject(user, client),
        oid: user.oid,
        name: user.displayName,
        preferred_username: user.username,
        scp: granted.join(' '),
        azp: client.clientId,
        azpacr: client.clientSecret === undefined ? '0' : '1',
        idtyp: 'user',
        uti: randomBytes(16).toString('base64url'),
      },
      lifetime,
    );
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: [...granted.map((name) => `${resource}/${name}`), ...requested.oidc].join(' '),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
      client_info: Buffer.from(JSON.stringify({ uid: user.oid, utid: this.settings.tenant })).toString(
        'base64url',
      ),
    };
    if (requested.oidc.includes('offline_access')) {
      const refreshToken = `rt.${randomBytes(32).toString('base64url')}`;
      this.#refreshTokens.set(refreshToken, {
        username: user.username,
        clientId: client.clientId,
        expiresAt: Date.now() + this.settings.refreshTokenLifetimeSeconds * 1000,
      });
      body.refresh_token = refreshToken;
    }
    if (requested.oidc.includes('openid')) {
      body.id_token = await this.#sign(
        {
          aud: client.clientId,
          sub: this.#pairwiseSubject(user, client),
          oid: user.oid,
          name: user.displayName,
          preferred_username: user.username,
        },
        3600,
      );
    }
    return { status: 200, body, audit };
  }

  #grantedNames(user: IdpUser, requested: RequestedScopes): string[] {
    const names = requested.names.flatMap((name) =>
      name === '.default' ? (user.allowedScopes ?? DEFAULT_DELEGATED_SCOPES) : [name],
    );
    const allowed = user.allowedScopes;
    return [...new Set(allowed ? names.filter((name) => allowed.includes(name)) : names)];
  }

  #pairwiseSubject(user: IdpUser, client: IdpClient): string {
    return createHash('sha256').update(`${user.oid}:${client.clientId}`).digest('base64url').slice(0, 43);
  }

  #sign(claims: Record<string, unknown>, lifetimeSeconds: number): Promise<string> {
    return mintJwt(this.keys, { issuer: this.settings.issuer, tenant: this.settings.tenant }, claims, {
      lifetimeSeconds,
    });
  }
}
