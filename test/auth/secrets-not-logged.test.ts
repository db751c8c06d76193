import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProvider } from '../../dev/idp/index.js';
import { signInWithDeviceCode } from '../../shared/auth/device-code-login.js';
import { SfbServerTokenSource } from '../../shared/auth/sfb-server-token-source.js';
import { readBlobText, uniqueTestContainer } from '../helpers/blob-container.js';
import {
  CONFIDENTIAL_CLIENT,
  PUBLIC_CLIENT_ID,
  SERVICE_ACCOUNT,
  startTestIdentityProvider,
} from '../helpers/identity-provider.js';
import { LogCapture } from '../helpers/log-capture.js';
import {
  CACHE_BLOB,
  cachePlugin,
  deviceCodeTokenSource,
  passwordTokenSource,
  ucwaOrigin,
} from '../helpers/token-sources.js';

let idp: IdentityProvider;
let sfbServer: Server;
let sfbEndpoint: string;
const SFB_TOKEN = `cwt=AAEBHAAAAAAA${crypto.randomUUID()}`;

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  sfbServer = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: SFB_TOKEN, token_type: 'Bearer', expires_in: 28_800 }));
    });
  });
  await new Promise<void>((resolve) => sfbServer.listen(0, '127.0.0.1', resolve));
  sfbEndpoint = `http://127.0.0.1:${(sfbServer.address() as AddressInfo).port}/WebTicket/oauthtoken`;
});
afterAll(async () => {
  await idp.close();
  sfbServer.closeAllConnections();
  await new Promise((resolve) => sfbServer.close(resolve));
});

/** Every credential string in a serialized MSAL cache. */
function secretsIn(serializedCache: string | undefined): string[] {
  if (!serializedCache) return [];
  const cache = JSON.parse(serializedCache) as Record<string, Record<string, { secret?: string }>>;
  return ['AccessToken', 'RefreshToken', 'IdToken'].flatMap((section) =>
    Object.values(cache[section] ?? {}).flatMap((entry) => (entry.secret ? [entry.secret] : [])),
  );
}

describe('secrets in logs', () => {
  it('never logs a password, client secret, access, id or refresh token, even at verbose level', async () => {
    const capture = new LogCapture().captureConsole();
    const secrets = new Set<string>([SERVICE_ACCOUNT.password, CONFIDENTIAL_CLIENT.clientSecret, SFB_TOKEN]);
    const errors: unknown[] = [];
    const verbose = { log: capture.log, logLevel: 'verbose' as const };
    try {
      idp.setAccessTokenLifetime(1);
      const container = uniqueTestContainer('secrets');
      const collect = async () => {
        for (const secret of secretsIn(await readBlobText(container, CACHE_BLOB))) secrets.add(secret);
      };

      // Password mode, public client: sign-in, a second origin, a forced refresh, an expiry refresh.
      const publicSource = passwordTokenSource(idp, container, verbose);
      for (const request of [
        { origin: ucwaOrigin() },
        { origin: ucwaOrigin() },
        { origin: ucwaOrigin('again'), forceRefresh: true },
      ]) {
        secrets.add((await publicSource.getToken(request)).token);
        await collect();
      }
      // A cold start reading the blob.
      secrets.add(
        (await passwordTokenSource(idp, container, verbose).getToken({ origin: ucwaOrigin() })).token,
      );
      await collect();

      // Confidential client.
      const confidential = passwordTokenSource(idp, uniqueTestContainer('secrets'), {
        ...verbose,
        clientId: CONFIDENTIAL_CLIENT.clientId,
        clientSecret: CONFIDENTIAL_CLIENT.clientSecret,
      });
      secrets.add((await confidential.getToken({ origin: ucwaOrigin() })).token);

      // Failures: wrong password, wrong secret.
      const wrongPassword = `${SERVICE_ACCOUNT.password}-wrong`;
      const wrongSecret = `${CONFIDENTIAL_CLIENT.clientSecret}-wrong`;
      secrets.add(wrongPassword).add(wrongSecret);
      await passwordTokenSource(idp, undefined, { ...verbose, password: wrongPassword })
        .getToken({ origin: ucwaOrigin() })
        .catch((error: unknown) => errors.push(error));
      await passwordTokenSource(idp, undefined, {
        ...verbose,
        clientId: CONFIDENTIAL_CLIENT.clientId,
        clientSecret: wrongSecret,
      })
        .getToken({ origin: ucwaOrigin() })
        .catch((error: unknown) => errors.push(error));

      // Device code: sign-in, silent use, revocation.
      const deviceContainer = uniqueTestContainer('secrets');
      await signInWithDeviceCode(
        {
          tenantId: idp.tenant,
          clientId: PUBLIC_CLIENT_ID,
          authorityHost: idp.authorityHost,
          cachePlugin: cachePlugin(deviceContainer),
          ...verbose,
        },
        (prompt) => {
          idp.approveDeviceCode(prompt.userCode, SERVICE_ACCOUNT.username);
        },
      );
      const deviceSource = deviceCodeTokenSource(idp, deviceContainer, verbose);
      secrets.add((await deviceSource.getToken({ origin: ucwaOrigin() })).token);
      for (const secret of secretsIn(await readBlobText(deviceContainer, CACHE_BLOB))) secrets.add(secret);
      idp.revokeRefreshTokens();
      await deviceSource
        .getToken({ origin: ucwaOrigin(), forceRefresh: true })
        .catch((error: unknown) => errors.push(error));

      // Skype for Business Server.
      const sfb = new SfbServerTokenSource({
        mode: 'sfb-server',
        username: 'CONTOSO\\gk',
        password: SERVICE_ACCOUNT.password,
        ...verbose,
      });
      await sfb.getToken({ origin: 'http://127.0.0.1:1', challenge: { msRtcOAuthHref: sfbEndpoint } });
    } finally {
      capture.restore();
      idp.setAccessTokenLifetime(3600);
    }

    // The capture saw real traffic: MSAL's verbose log and the sources' own lines.
    expect(capture.lines.filter((line) => line.includes('msal:')).length).toBeGreaterThan(50);
    expect(capture.text).toContain('token for');
    expect(errors).toHaveLength(3);
    const errorText = errors.map((error) => `${String(error)} ${JSON.stringify(error)}`).join('\n');

    expect(secrets.size).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(capture.text.includes(secret), 'a secret appeared in the logs').toBe(false);
      expect(errorText.includes(secret), 'a secret appeared in an error').toBe(false);
    }
  });
});
