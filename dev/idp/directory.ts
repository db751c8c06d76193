import { createHash, timingSafeEqual } from 'node:crypto';

export interface IdpUserInit {
  /** The sign-in name (`preferred_username`), e.g. `gatekeeper@contoso.com`. */
  username: string;
  password: string;
  displayName?: string;
  /** Object id; default derived from the user name so it is stable across restarts. */
  oid?: string;
  /**
   * Scope names (without resource prefix) this user may be granted. Requested scopes outside the list are
   * silently left out of the token, as when consent was never given. Default: everything requested.
   */
  allowedScopes?: string[];
}

export interface IdpClientInit {
  clientId: string;
  /** When set, the client is confidential and must authenticate with this secret. */
  clientSecret?: string;
  /** App roles put in `roles` of client-credentials tokens. */
  appRoles?: string[];
  /** Service principal object id; default derived from the client id. */
  oid?: string;
}

export interface IdpUser extends IdpUserInit {
  oid: string;
  displayName: string;
}

export interface IdpClient extends IdpClientInit {
  oid: string;
}

/** A stable GUID-shaped id from `seed`. */
export function stableGuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Compares secrets without leaking their length or content through timing. */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Users and app registrations of the local tenant. */
export class Directory {
  readonly #users = new Map<string, IdpUser>();
  readonly #clients = new Map<string, IdpClient>();

  addUser(init: IdpUserInit): IdpUser {
    const user: IdpUser = {
      ...init,
      oid: init.oid ?? stableGuid(`user:${init.username.toLowerCase()}`),
      displayName: init.displayName ?? init.username.split('@')[0] ?? init.username,
    };
    this.#users.set(init.username.toLowerCase(), user);
    return user;
  }

  addClient(init: IdpClientInit): IdpClient {
    const client: IdpClient = { ...init, oid: init.oid ?? stableGuid(`client:${init.clientId}`) };
    this.#clients.set(init.clientId, client);
    return client;
  }

  user(username: string): IdpUser | undefined {
    return this.#users.get(username.toLowerCase());
  }

  client(clientId: string): IdpClient | undefined {
    return this.#clients.get(clientId);
  }

  /** The user when the password matches. */
  authenticate(username: string, password: string): IdpUser | undefined {
    const user = this.user(username);
    return user && secretsEqual(password, user.password) ? user : undefined;
  }
}
