import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { JWTPayload } from 'jose';
import { deviceLoginPage } from './device-login-page.js';
import { Directory, type IdpClientInit, type IdpUserInit } from './directory.js';
import { basicCredentials, readBody, sendHtml, sendJson } from './http.js';
import { SigningKeyRing } from './signing-keys.js';
import { createTestCa, issueServerCertificate, type TestCa } from './test-ca.js';
import { type MintOptions, mintJwt } from './token-minter.js';
import { TokenService } from './token-service.js';

export interface IdentityProviderOptions {
  /** CA that signs the server certificate; default a new one. Clients must trust it (NODE_EXTRA_CA_CERTS). */
  ca?: TestCa;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Tenant id in every path; default a random GUID. */
  tenant?: string;
  /**
   * Domain names that address the same tenant (`contoso.onmicrosoft.com`), as Azure AD serves
   * `/<domain>/v2.0/.well-known/openid-configuration` naming the GUID issuer.
   */
  domains?: string[];
  users?: IdpUserInit[];
  clients?: IdpClientInit[];
  /** Default 3600. */
  accessTokenLifetimeSeconds?: number;
  /** Default 86400. */
  refreshTokenLifetimeSeconds?: number;
  /** Default 900. */
  deviceCodeLifetimeSeconds?: number;
  /** How often MSAL polls for a device code; default 5, tests use 1. */
  deviceCodeIntervalSeconds?: number;
}

export type IdpEndpoint = 'openid-configuration' | 'jwks' | 'token' | 'devicecode' | 'deviceauth' | 'other';

/** One request as the provider saw it. Never holds a password, secret or token. */
export interface IdpRequest {
  at: number;
  method: string;
  path: string;
  endpoint: IdpEndpoint;
  status: number;
  grantType?: string;
  clientId?: string;
  username?: string;
  scope?: string;
  error?: string;
}

export interface IdentityProvider {
  /** `https://127.0.0.1:<port>`: the `AZURE_AUTHORITY_HOST` setting. */
  authorityHost: string;
  tenant: string;
  /** `<authorityHost>/<tenant>`. */
  authority: string;
  /** `<authorityHost>/<tenant>/v2.0`, the `iss` of every token. */
  issuer: string;
  openIdConfigurationUrl: string;
  jwksUri: string;
  tokenEndpoint: string;
  deviceCodeEndpoint: string;
  /** The page an operator opens to complete a device code. */
  verificationUri: string;
  /** PEM of the CA that signed the server certificate. */
  caPem: string;
  /** The key that signs new tokens. */
  readonly activeKid: string;
  /** Signs arbitrary claims over valid defaults (see MintOptions). */
  mintToken(claims: JWTPayload, options?: MintOptions): Promise<string>;
  /** Adds a new published key and signs with it from now on; the old key stays published. Returns its kid. */
  rotateKeys(): Promise<string>;
  /** Adds a key without (by default) publishing or activating it: tokens it signs have an unknown kid. */
  addKey(options?: { publish?: boolean; activate?: boolean }): Promise<string>;
  publishKey(kid: string): void;
  /** Removes a key from the JWKS. */
  retireKey(kid: string): void;
  addUser(user: IdpUserInit): void;
  addClient(client: IdpClientInit): void;
  setAccessTokenLifetime(seconds: number): void;
  /** Completes a pending device code as `username`; false when code or user is unknown. */
  approveDeviceCode(userCode: string, username: string): boolean;
  denyDeviceCode(userCode: string): boolean;
  /** Invalidates refresh tokens of one user or of everyone; returns how many. */
  revokeRefreshTokens(username?: string): number;
  /** A copy of the request log. */
  requests(filter?: Partial<Pick<IdpRequest, 'endpoint' | 'grantType' | 'username'>>): IdpRequest[];
  clearRequests(): void;
  close(): Promise<void>;
}

/** Starts a local Azure-AD-shaped OpenID provider over HTTPS. */
export async function startIdentityProvider(
  options: IdentityProviderOptions = {},
): Promise<IdentityProvider> {
  const ca = options.ca ?? createTestCa();
  const certificate = issueServerCertificate(ca);
  const tenant = options.tenant ?? randomUUID();
  const domains = new Set((options.domains ?? []).map((domain) => domain.toLowerCase()));
  const keys = new SigningKeyRing();
  await keys.add();
  const directory = new Directory();
  for (const user of options.users ?? []) directory.addUser(user);
  for (const client of options.clients ?? []) directory.addClient(client);
  const log: IdpRequest[] = [];

  const server = createServer({ key: certificate.keyPem, cert: certificate.certPem });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = (options.host ?? '127.0.0.1').includes(':')
    ? `[${options.host}]`
    : (options.host ?? '127.0.0.1');
  const authorityHost = `https://${hostForUrl}:${port}`;
  const authority = `${authorityHost}/${tenant}`;
  const issuer = `${authority}/v2.0`;
  const endpoints = {
    openIdConfigurationUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri: `${authority}/discovery/v2.0/keys`,
    tokenEndpoint: `${authority}/oauth2/v2.0/token`,
    deviceCodeEndpoint: `${authority}/oauth2/v2.0/devicecode`,
    verificationUri: `${authority}/oauth2/v2.0/deviceauth`,
  };
  const tokens = new TokenService(
    {
      issuer,
      tenant,
      accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3600,
      refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? 86_400,
      deviceCodeLifetimeSeconds: options.deviceCodeLifetimeSeconds ?? 900,
      deviceCodeIntervalSeconds: options.deviceCodeIntervalSeconds ?? 5,
      verificationUri: endpoints.verificationUri,
    },
    directory,
    keys,
  );

  const openIdConfiguration = {
    issuer,
    authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
    token_endpoint: endpoints.tokenEndpoint,
    device_authorization_endpoint: endpoints.deviceCodeEndpoint,
    end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
    jwks_uri: endpoints.jwksUri,
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    grant_types_supported: [
      'password',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:device_code',
    ],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nbf',
      'name',
      'oid',
      'tid',
      'preferred_username',
      'ver',
    ],
    tenant_region_scope: null,
    cloud_instance_name: 'local',
  };

  async function route(request: IncomingMessage, response: ServerResponse, entry: IdpRequest): Promise<void> {
    const url = new URL(request.url ?? '/', authorityHost);
    const [pathTenant, ...rest] = url.pathname.split('/').filter(Boolean);
    const path = rest.join('/');
    if (pathTenant !== tenant && !domains.has(pathTenant?.toLowerCase() ?? '')) {
      entry.status = 400;
      sendJson(response, 400, {
        error: 'invalid_tenant',
        error_description: 'AADSTS90002: Tenant not found.',
      });
      return;
    }
    if (request.method === 'GET' && path === 'v2.0/.well-known/openid-configuration') {
      entry.endpoint = 'openid-configuration';
      sendJson(response, 200, openIdConfiguration);
      return;
    }
    if (request.method === 'GET' && path === 'discovery/v2.0/keys') {
      entry.endpoint = 'jwks';
      sendJson(response, 200, keys.jwks());
      return;
    }
    if (request.method === 'POST' && path === 'oauth2/v2.0/token') {
      entry.endpoint = 'token';
      const form = new URLSearchParams(await readBody(request));
      const result = await tokens.token(form, basicCredentials(request.headers.authorization));
      Object.assign(entry, result.audit);
      sendJson(response, result.status, result.body);
      return;
    }
    if (request.method === 'POST' && path === 'oauth2/v2.0/devicecode') {
      entry.endpoint = 'devicecode';
      const result = tokens.deviceCode(new URLSearchParams(await readBody(request)));
      Object.assign(entry, result.audit);
      sendJson(response, result.status, result.body);
      return;
    }
    if (path === 'oauth2/v2.0/deviceauth') {
      entry.endpoint = 'deviceauth';
      if (request.method !== 'POST') {
        sendHtml(response, 200, deviceLoginPage());
        return;
      }
      const form = new URLSearchParams(await readBody(request));
      const username = form.get('username') ?? '';
      entry.username = username;
      const user = directory.authenticate(username, form.get('password') ?? '');
      const approved = user ? tokens.approveDeviceCode(form.get('user_code') ?? '', user.username) : false;
      entry.status = approved ? 200 : 400;
      sendHtml(
        response,
        entry.status,
        deviceLoginPage(
          approved ? 'Signed in. You may close this page.' : 'Wrong code, user name or password.',
        ),
      );
      return;
    }
    sendJson(response, 404, {
      error: 'not_found',
      error_description: 'This local provider has no such endpoint.',
    });
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const entry: IdpRequest = {
      at: Date.now(),
      method: request.method ?? 'GET',
      path: new URL(request.url ?? '/', authorityHost).pathname,
      endpoint: 'other',
      status: 0,
    };
    response.on('finish', () => {
      entry.status = response.statusCode;
      log.push(entry);
    });
    route(request, response, entry).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { error: 'server_error' });
      else response.destroy();
    });
  });

  const defaults = { issuer, tenant };
  return {
    authorityHost,
    tenant,
    authority,
    issuer,
    ...endpoints,
    caPem: ca.certPem,
    get activeKid() {
      return keys.activeKid;
    },
    mintToken: (claims, mintOptions) => mintJwt(keys, defaults, claims, mintOptions),
    rotateKeys: () => keys.add({ publish: true, activate: true }),
    addKey: (keyOptions) => keys.add({ publish: false, activate: false, ...keyOptions }),
    publishKey: (kid) => keys.publish(kid),
    retireKey: (kid) => keys.retire(kid),
    addUser: (user) => {
      directory.addUser(user);
    },
    addClient: (client) => {
      directory.addClient(client);
    },
    setAccessTokenLifetime: (seconds) => tokens.setAccessTokenLifetime(seconds),
    approveDeviceCode: (userCode, username) => tokens.approveDeviceCode(userCode, username),
    denyDeviceCode: (userCode) => tokens.denyDeviceCode(userCode),
    revokeRefreshTokens: (username) => tokens.revokeRefreshTokens(username),
    requests: (filter = {}) =>
      log
        .filter((entry) =>
          Object.entries(filter).every(([key, value]) => entry[key as keyof IdpRequest] === value),
        )
        .map((entry) => ({ ...entry })),
    clearRequests: () => {
      log.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
