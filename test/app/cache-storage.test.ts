import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { issueServerCertificate } from '../../dev/idp/test-ca.js';
import { tokenCacheContainer } from '../../shared/app/cache-storage.js';
import { tokenCacheBlobName } from '../../shared/auth/blob-cache-plugin.js';
import { storageTargetFromEnv } from '../../shared/store/storage.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('token cache storage settings', () => {
  it('prefers the AzureWebJobsStorage connection string, else identity-based settings', () => {
    const env = {
      AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net',
      AzureWebJobsStorage__clientId: 'mi-client',
    };
    expect(storageTargetFromEnv({ ...env, AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toMatchObject(
      {
        connectionString: 'UseDevelopmentStorage=true',
      },
    );
    expect(storageTargetFromEnv(env)).toEqual({
      blobServiceUri: 'https://acct.blob.core.windows.net',
      clientId: 'mi-client',
    });
    expect(tokenCacheContainer(storageTargetFromEnv({ AzureWebJobsStorage: '  ' }))).toBeUndefined();
  });

  it('names the blob per app registration and account, without the user name in clear', () => {
    const parts = { authorityHost: 'https://login.microsoftonline.com', tenantId: 't', clientId: 'App-Id' };
    const name = tokenCacheBlobName({ ...parts, username: 'gk@contoso.com' });
    expect(name).toMatch(/^app-id\/[0-9a-f]{32}\.json$/);
    expect(name).not.toContain('gk');
    expect(tokenCacheBlobName({ ...parts, username: 'GK@contoso.com' })).toBe(name);
    expect(tokenCacheBlobName({ ...parts, username: 'other@contoso.com' })).not.toBe(name);
    expect(tokenCacheBlobName({ ...parts, clientId: 'other' })).not.toBe(name);
  });
});

describe('identity-based token cache storage', () => {
  it('authenticates to blob storage with a managed identity token (App Service / Functions endpoint)', async () => {
    // The Functions host's managed identity endpoint: IDENTITY_ENDPOINT + IDENTITY_HEADER.
    const identityRequests: URL[] = [];
    const identity = createHttpServer((request, response) => {
      identityRequests.push(new URL(request.url ?? '/', 'http://127.0.0.1'));
      const header = request.headers['x-identity-header'];
      response.writeHead(header === 'local-secret' ? 200 : 400, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          access_token: 'mi-token-1',
          expires_on: String(Math.floor(Date.now() / 1000) + 3600),
          resource: 'https://storage.azure.com',
          token_type: 'Bearer',
        }),
      );
    });
    await new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => identity.close(() => resolve())));

    // A stand-in for the blob service over HTTPS (the SDK sends bearer tokens over TLS only).
    const blobHeaders: IncomingHttpHeaders[] = [];
    const certificate = issueServerCertificate(inject('testCa'));
    const blob = createHttpsServer(
      { key: certificate.keyPem, cert: certificate.certPem },
      (request, response) => {
        blobHeaders.push(request.headers);
        response.writeHead(404, { 'x-ms-error-code': 'BlobNotFound', 'content-type': 'application/xml' });
        response.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code></Error>');
      },
    );
    await new Promise<void>((resolve) => blob.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      blob.closeAllConnections();
      await new Promise((resolve) => blob.close(() => resolve(undefined)));
    });

    const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
    process.env.IDENTITY_ENDPOINT = `http://127.0.0.1:${(identity.address() as AddressInfo).port}/msi/token`;
    process.env.IDENTITY_HEADER = 'local-secret';
    cleanups.push(async () => {
      for (const [name, value] of [
        ['IDENTITY_ENDPOINT', saved.endpoint],
        ['IDENTITY_HEADER', saved.header],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    const container = tokenCacheContainer({
      blobServiceUri: `https://127.0.0.1:${(blob.address() as AddressInfo).port}/devstoreaccount1`,
      clientId: 'user-assigned-client',
    });
    if (!container) throw new Error('identity-based storage should give a container');
    const error = await container
      .getBlobClient('cache.json')
      .download()
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ statusCode: 404 });
    expect(blobHeaders[0]?.authorization).toBe('Bearer mi-token-1');
    expect(identityRequests[0]?.searchParams.get('resource')).toBe('https://storage.azure.com');
    expect(identityRequests[0]?.searchParams.get('client_id')).toBe('user-assigned-client');
  });
});
