import { createSign } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
import type { SigningKeyRing } from './signing-keys.js';

export type MintAlgorithm = 'RS256' | 'PS256' | 'RS384' | 'HS256' | 'none';

export interface MintOptions {
  /** Signing key id; default the active key. Must be a key of the ring (published or not). */
  kid?: string;
  /**
   * `RS256` (default), `PS256` or `RS384` sign with the key. `HS256` signs with the key's public PEM as the HMAC
   * secret (the classic algorithm-confusion attack); `none` produces an unsigned token.
   */
  alg?: MintAlgorithm;
  /** Extra or replacement protected-header fields (`crit` too: such a token is signed RS256 by hand). */
  header?: Record<string, unknown>;
  /** Default `exp` = now + this; default 3600. */
  lifetimeSeconds?: number;
  /** Leave out the default claims (iss, iat, nbf, exp, tid, ver). */
  omitDefaults?: boolean;
}

export interface MintDefaults {
  issuer: string;
  tenant: string;
}

/** Signs `claims` over defaults that make a valid Azure AD v2 access token from this provider. */
export async function mintJwt(
  keys: SigningKeyRing,
  defaults: MintDefaults,
  claims: JWTPayload,
  options: MintOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = options.omitDefaults
    ? { ...claims }
    : {
        iss: defaults.issuer,
        iat: now,
        nbf: now,
        exp: now + (options.lifetimeSeconds ?? 3600),
        tid: defaults.tenant,
        ver: '2.0',
        ...claims,
      };
  const alg = options.alg ?? 'RS256';
  const key = options.kid ? keys.get(options.kid) : keys.active;
  if (!key) throw new Error(`unknown key id ${options.kid}`);
  const header = { typ: 'JWT', kid: key.kid, ...options.header, alg };

  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  if (alg === 'none') return `${encode(header)}.${encode(payload)}.`;
  if ('crit' in header && alg === 'RS256') {
    // jose refuses to sign critical extensions it does not know; a verifier must refuse to accept them.
    const input = `${encode(header)}.${encode(payload)}`;
    return `${input}.${createSign('RSA-SHA256').update(input).sign(key.privateKey).toString('base64url')}`;
  }
  const secret =
    alg === 'HS256'
      ? new TextEncoder().encode(key.publicKey.export({ type: 'spki', format: 'pem' }).toString())
      : key.privateKey;
  return new SignJWT(payload).setProtectedHeader(header).sign(secret);
}
