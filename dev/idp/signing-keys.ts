import { generateKeyPair, type KeyObject, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const generateRsaKeyPair = promisify(generateKeyPair);

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Listed in the JWKS document. */
  published: boolean;
}

/** The JWK as Azure AD publishes it: no `alg`, so one RSA key verifies both RS256 and PS256. */
export interface PublishedJwk {
  kty: string;
  use: 'sig';
  kid: string;
  n: string;
  e: string;
}

/** RSA signing keys with rotation: one active key signs; any published key verifies. */
export class SigningKeyRing {
  readonly #keys = new Map<string, SigningKey>();
  #activeKid = '';

  get activeKid(): string {
    return this.#activeKid;
  }

  get active(): SigningKey {
    const key = this.#keys.get(this.#activeKid);
    if (!key) throw new Error('the key ring has no active key');
    return key;
  }

  get(kid: string): SigningKey | undefined {
    return this.#keys.get(kid);
  }

  /** A new RSA-2048 key. Published and active by default, like a rotation. */
  async add(options: { publish?: boolean; activate?: boolean } = {}): Promise<string> {
    const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
    const kid = randomBytes(12).toString('base64url');
    this.#keys.set(kid, { kid, privateKey, publicKey, published: options.publish ?? true });
    if (options.activate ?? options.publish ?? true) this.#activeKid = kid;
    return kid;
  }

  publish(kid: string): void {
    this.#require(kid).published = true;
  }

  /** Removes a key from the JWKS; tokens it signed stop verifying once verifiers refetch. */
  retire(kid: string): void {
    if (kid === this.#activeKid) throw new Error('rotate to another key before retiring the active one');
    this.#require(kid).published = false;
  }

  jwks(): { keys: PublishedJwk[] } {
    const keys: PublishedJwk[] = [];
    for (const key of this.#keys.values()) {
      if (!key.published) continue;
      const jwk = key.publicKey.export({ format: 'jwk' });
      keys.push({ kty: String(jwk.kty), use: 'sig', kid: key.kid, n: String(jwk.n), e: String(jwk.e) });
    }
    return { keys };
  }

  #require(kid: string): SigningKey {
    const key = this.#keys.get(kid);
    if (!key) throw new Error(`unknown key id ${kid}`);
    return key;
  }
}
