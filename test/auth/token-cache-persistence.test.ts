import { PublicClientApplication, TokenCacheContext } from '@azure/msal-node';
import { ContainerClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProvider } from '../../dev/idp/index.js';
import { BlobCachePlugin } from '../../shared/auth/blob-cache-plugin.js';
import { readBlobText, uniqueTestContainer } from '../helpers/blob-container.js';
import {
  PUBLIC_CLIENT_ID,
  SERVICE_ACCOUNT,
  startTestIdentityProvider,
} from '../helpers/identity-provider.js';
import {
  CACHE_BLOB,
  claimsOf,
  deviceCodeTokenSource,
  passwordTokenSource,
  ucwaOrigin,
} from '../helpers/token-sources.js';

interface SerializedCache {
  Account: Record<string, { username: string }>;
  AccessToken: Record<string, { secret: string; target: string }>;
  RefreshToken: Record<string, { secret: string }>;
}

let idp: IdentityProvider;

beforeAll(async () => {
  idp = await startTestIdentityProvider();
});
afterAll(() => idp.close());
afterEach(() => {
  idp.clearRequests();
  idp.setAccessTokenLifetime(3600);
});

async function cacheIn(container: ReturnType<typeof uniqueTestContainer>): Promise<SerializedCache> {
  const text = await readBlobText(container, CACHE_BLOB);
  if (!text) throw new Error('no cache blob');
  return JSON.parse(text) as SerializedCache;
}

describe('MSAL cache in Azure Blob Storage', () => {
  it('writes the cache after an acquisition, creating the container on first use', async () => {
    const container = uniqueTestContainer('cache');
    await passwordTokenSource(idp, container).getToken({ origin: ucwaOrigin() });

    const cache = await cacheIn(container);
    expect(Object.values(cache.Account).map((account) => account.username)).toEqual([
      SERVICE_ACCOUNT.username,
    ]);
    expect(Object.keys(cache.RefreshToken)).toHaveLength(1);
    expect(Object.keys(cache.AccessToken)).toHaveLength(1);
  });

  it('lets a fresh instance (a cold start) get tokens without signing in again', async () => {
    const container = uniqueTestContainer('cache');
    const origin = ucwaOrigin();
    const first = await passwordTokenSource(idp, container).getToken({ origin });
    idp.clearRequests();

    // A new instance whose password would not even work: everything must come from the blob.
    const coldStart = passwordTokenSource(idp, container, { password: 'not-the-password' });
    const same = await coldStart.getToken({ origin });
    const other = await coldStart.getToken({ origin: ucwaOrigin() });

    expect(same.token).toBe(first.token);
    expect(claimsOf(other.token).preferred_username).toBe(SERVICE_ACCOUNT.username);
    expect(idp.requests({ endpoint: 'token' }).map((request) => request.grantType)).toEqual([
      'refresh_token',
    ]);
  });

  it('persists the rotated refresh token, so the next cold start can still refresh', async () => {
    idp.setAccessTokenLifetime(1);
    const container = uniqueTestContainer('cache');
    const origin = ucwaOrigin();
    await passwordTokenSource(idp, container).getToken({ origin });
    const rotatedBefore = Object.values((await cacheIn(container)).RefreshToken)[0]?.secret;

    for (let round = 0; round < 3; round++) {
      await passwordTokenSource(idp, container, { password: 'not-the-password' }).getToken({ origin });
    }

    const rotatedAfter = Object.values((await cacheIn(container)).RefreshToken)[0]?.secret;
    expect(rotatedAfter).toBeDefined();
    expect(rotatedAfter).not.toBe(rotatedBefore);
    expect(idp.requests({ endpoint: 'token' }).map((request) => request.grantType)).toEqual([
      'password',
      'refresh_token',
      'refresh_token',
      'refresh_token',
    ]);
  });

  it('loses no rotated refresh token when instances refresh concurrently', async () => {
    idp.setAccessTokenLifetime(1);
    const container = uniqueTestContainer('cache');
    const origin = ucwaOrigin();
    await passwordTokenSource(idp, container).getToken({ origin });

    // Device-code sources cannot fall back to a password: a lost refresh token would fail them outright.
    const instances = [deviceCodeTokenSource(idp, container), deviceCodeTokenSource(idp, container)];
    for (let round = 0; round < 4; round++) {
      const tokens = await Promise.all(
        instances.map((instance) => instance.getToken({ origin, forceRefresh: true })),
      );
      for (const token of tokens) expect(claimsOf(token.token).aud).toBe(origin);
    }

    // The refresh token in the blob is the live one: a cold start refreshes with it.
    const coldStart = deviceCodeTokenSource(idp, container);
    await expect(coldStart.getToken({ origin: ucwaOrigin() })).resolves.toMatchObject({
      token: expect.any(String),
    });
    const grants = idp.requests({ endpoint: 'token' });
    // The race really happened: a refresh token was presented after its rotation, and was refused.
    expect(grants.some((request) => request.grantType === 'refresh_token' && request.status === 400)).toBe(
      true,
    );
    expect(grants.filter((request) => request.grantType === 'password')).toHaveLength(1);
    expect(grants.at(-1)).toMatchObject({ grantType: 'refresh_token', status: 200 });
  });
});

describe('BlobCachePlugin write races', () => {
  /** Two MSAL apps with their own plugins on one blob, driven by hand to force the interleaving. */
  function app(container: ReturnType<typeof uniqueTestContainer>) {
    const plugin = new BlobCachePlugin({ container, blobName: CACHE_BLOB });
    const msal = new PublicClientApplication({
      auth: {
        clientId: PUBLIC_CLIENT_ID,
        authority: idp.authority,
        knownAuthorities: [new URL(idp.authorityHost).host],
      },
      cache: { cachePlugin: plugin },
    });
    return { plugin, cache: msal.getTokenCache() };
  }

  function edit(
    cache: { serialize(): string; deserialize(text: string): void },
    change: (state: SerializedCache) => void,
  ) {
    const state = JSON.parse(cache.serialize()) as SerializedCache;
    change(state);
    cache.deserialize(JSON.stringify(state));
  }

  it('merges a losing write into the winner: the winner’s rotated refresh token survives', async () => {
    const container = uniqueTestContainer('race');
    await passwordTokenSource(idp, container).getToken({ origin: ucwaOrigin() });
    const a = app(container);
    const b = app(container);
    const contextA = new TokenCacheContext(a.cache, true);
    const contextB = new TokenCacheContext(b.cache, true);

    await a.plugin.beforeCacheAccess(contextA);
    // B's read happens in another instance at the same time; the plugin only serialises within one app.
    await b.plugin.beforeCacheAccess(contextB);
    edit(a.cache, (state) => {
      for (const entry of Object.values(state.RefreshToken)) entry.secret = 'rotated-by-a';
    });
    edit(b.cache, (state) => {
      const [key, entry] = Object.entries(state.AccessToken)[0] ?? [];
      if (!key || !entry) throw new Error('no access token to copy');
      state.AccessToken[`${key}-other`] = { ...entry, secret: 'new-token-of-b', target: 'other' };
    });
    await a.plugin.afterCacheAccess(contextA);
    await b.plugin.afterCacheAccess(contextB);

    const stored = await cacheIn(container);
    expect(Object.values(stored.RefreshToken).map((entry) => entry.secret)).toEqual(['rotated-by-a']);
    expect(Object.values(stored.AccessToken).map((entry) => entry.secret)).toContain('new-token-of-b');
    // And B's memory now holds the merged state too.
    const inB = JSON.parse(b.cache.serialize()) as SerializedCache;
    expect(Object.values(inB.RefreshToken).map((entry) => entry.secret)).toEqual(['rotated-by-a']);
  });

  it('two first writers of a new blob: the second merges instead of overwriting', async () => {
    const seedContainer = uniqueTestContainer('seed');
    await passwordTokenSource(idp, seedContainer).getToken({ origin: ucwaOrigin() });
    const seed = await cacheIn(seedContainer);
    const [key, entry] = Object.entries(seed.AccessToken)[0] ?? [];
    if (!key || !entry) throw new Error('no access token in the seed');
    const withToken = (suffix: string) =>
      JSON.stringify({
        ...seed,
        AccessToken: { [`${key}-${suffix}`]: { ...entry, secret: `token-${suffix}` } },
      });

    const container = uniqueTestContainer('race');
    await container.create();
    const a = app(container);
    const b = app(container);
    const contextA = new TokenCacheContext(a.cache, true);
    const contextB = new TokenCacheContext(b.cache, true);
    await a.plugin.beforeCacheAccess(contextA);
    await b.plugin.beforeCacheAccess(contextB);
    a.cache.deserialize(withToken('a'));
    b.cache.deserialize(withToken('b'));
    await a.plugin.afterCacheAccess(contextA);
    await b.plugin.afterCacheAccess(contextB);

    const stored = await cacheIn(container);
    expect(
      Object.values(stored.AccessToken)
        .map((token) => token.secret)
        .sort(),
    ).toEqual(['token-a', 'token-b']);
  });

  it('reports an unreachable store as a typed error and never leaves the cache locked', async () => {
    // Nothing listens on port 1; one try only, so the test does not sit through the SDK's retries.
    const offline = new ContainerClient('http://127.0.0.1:1/devstoreaccount1/msal-cache', undefined, {
      retryOptions: { maxTries: 1 },
    });
    // MSAL's silent flow calls beforeCacheAccess without a finally for afterCacheAccess: a failed read
    // must release the lock by itself, or the next access would wait forever.
    const plugin = new BlobCachePlugin({ container: offline, blobName: CACHE_BLOB });
    const context = new TokenCacheContext(app(uniqueTestContainer('unused')).cache, false);
    await expect(plugin.beforeCacheAccess(context)).rejects.toMatchObject({ code: 'cache_unavailable' });
    await expect(plugin.beforeCacheAccess(context)).rejects.toMatchObject({ code: 'cache_unavailable' });

    const source = passwordTokenSource(idp, offline);
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(source.getToken({ origin: ucwaOrigin() })).rejects.toMatchObject({
        name: 'TokenSourceError',
        code: 'cache_unavailable',
      });
    }
  });
});
