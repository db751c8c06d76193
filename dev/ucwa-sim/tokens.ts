import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { DEFAULT_TOKEN_SCOPES } from './scopes.js';
import type { JwtIssuerOptions } from './types.js';

export interface Grant {
  scopes: ReadonlySet<string>;
  kind: 'cwt' | 'jwt';
  /** The user it was issued to (lower case user name); undefined: the server's first user. */
  user?: string;
}

export type TokenCheck = { ok: true; grant: Grant } | { ok: false; reason: string };

interface OpaqueToken {
  /** undefined: valid on every origin (on-premises tokens are server-wide). */
  origin: string | undefined;
  scopes: ReadonlySet<string>;
  expiresAt: number;
  user: string | undefined;
}

/** Normalises `http://Host:80/` style strings to `http://host:80` for comparisons. */
export function normalizeOrigin(value: string): string {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}`.toLowerCase();
  } catch {
    return value.replace(/\/+$/, '').toLowerCase();
  }
}

/**
 * Validates bearer tokens: opaque `cwt=` tokens the simulator issued, and JWTs from configured issuers
 * (signature, iss, exp/nbf, aud = request origin, scopes from `scp`).
 */
export class TokenStore {
  private readonly opaque = new Map<string, OpaqueToken>();
  /** JWTs seen before the last revokeTokens(): refused from then on. */
  private readonly revokedJwts = new Set<string>();
  private readonly seenJwts = new Set<string>();
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  constructor(
    private readonly issuers: JwtIssuerOptions[],
    private readonly defaultLifetimeSec: number,
    private readonly now: () => number,
  ) {}

  issue(opts: { origin?: string; scopes?: readonly string[]; lifetimeSec?: number; user?: string } = {}): {
    token: string;
    expiresIn: number;
  } {
    const lifetime = opts.lifetimeSec ?? this.defaultLifetimeSec;
    // Real on-premises tokens start with `cwt=AAEB`; the rest is opaque.
    const token = `cwt=AAEB${randomBytes(24).toString('base64url')}`;
    this.opaque.set(token, {
      origin: opts.origin ? normalizeOrigin(opts.origin) : undefined,
      scopes: new Set(opts.scopes ?? DEFAULT_TOKEN_SCOPES),
      expiresAt: this.now() + lifetime * 1000,
      user: opts.user?.toLowerCase(),
    });
    return { token, expiresIn: lifetime };
  }

  revokeAll(): void {
    this.opaque.clear();
    for (const jwt of this.seenJwts) this.revokedJwts.add(jwt);
    this.seenJwts.clear();
  }

  /** `origin` is the listener origin; `hostOrigin` the origin as the client named it in the Host header. */
  async check(authorization: string | undefined, origin: string, hostOrigin: string): Promise<TokenCheck> {
    const token = bearerToken(authorization);
    if (!token) return { ok: false, reason: 'no bearer token' };
    const opaque = this.opaque.get(token);
    if (opaque) {
      if (opaque.expiresAt <= this.now()) return { ok: false, reason: 'token expired' };
      if (
        opaque.origin &&
        opaque.origin !== normalizeOrigin(origin) &&
        opaque.origin !== normalizeOrigin(hostOrigin)
      ) {
        return { ok: false, reason: `token was issued for ${opaque.origin}` };
      }
      return {
        ok: true,
        grant: { scopes: opaque.scopes, kind: 'cwt', ...(opaque.user ? { user: opaque.user } : {}) },
      };
    }
    if (token.split('.').length === 3 && this.issuers.length > 0)
      return this.checkJwt(token, origin, hostOrigin);
    return { ok: false, reason: 'unknown token' };
  }

  private async checkJwt(token: string, origin: string, hostOrigin: string): Promise<TokenCheck> {
    if (this.revokedJwts.has(token)) return { ok: false, reason: 'token revoked' };
    let issuerClaim: string | undefined;
    try {
      issuerClaim = decodeJwt(token).iss;
    } catch {
      return { ok: false, reason: 'malformed JWT' };
    }
    const issuer = this.issuers.find((candidate) => candidate.issuer === issuerClaim);
    if (!issuer) return { ok: false, reason: `issuer ${issuerClaim ?? '(none)'} is not trusted` };
    try {
      const { payload } = await jwtVerify(token, this.keySet(issuer), {
        issuer: issuer.issuer,
        requiredClaims: ['exp'],
        clockTolerance: 5,
      });
      const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
      const wanted = new Set([normalizeOrigin(origin), normalizeOrigin(hostOrigin)]);
      if (!audiences.some((aud) => wanted.has(normalizeOrigin(aud)))) {
        return { ok: false, reason: `audience ${audiences.join(' ')} does not match ${origin}` };
      }
      const scp = typeof payload.scp === 'string' ? payload.scp : '';
      this.seenJwts.add(token);
      // Azure AD names the signed-in user in upn (work accounts) or preferred_username.
      const name = [payload.upn, payload.preferred_username].find((claim) => typeof claim === 'string');
      return {
        ok: true,
        grant: {
          scopes: new Set(scp.split(' ').filter(Boolean)),
          kind: 'jwt',
          ...(typeof name === 'string' ? { user: name.toLowerCase() } : {}),
        },
      };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : 'invalid JWT' };
    }
  }

  /** Whether an Authorization header carries an opaque token this store issued. */
  known(authorization: string | undefined): boolean {
    const token = bearerToken(authorization);
    return token !== undefined && this.opaque.has(token);
  }

  /** The user an opaque token was issued to (JWTs: undefined; read their claims instead). */
  userOf(authorization: string | undefined): string | undefined {
    const token = bearerToken(authorization);
    return token ? this.opaque.get(token)?.user : undefined;
  }

  private keySet(issuer: JwtIssuerOptions): JWTVerifyGetKey {
    let keys = this.keySets.get(issuer.issuer);
    if (!keys) {
      if (issuer.jwks) keys = createLocalJWKSet(issuer.jwks as Parameters<typeof createLocalJWKSet>[0]);
      else if (issuer.jwksUri) keys = createRemoteJWKSet(new URL(issuer.jwksUri));
      else throw new Error(`issuer ${issuer.issuer} has no keys`);
      this.keySets.set(issuer.issuer, keys);
    }
    return keys;
  }
}

function bearerToken(authorization: string | undefined): string | undefined {
  return /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}
