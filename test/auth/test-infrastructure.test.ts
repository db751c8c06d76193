import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, inject, it } from 'vitest';
import { createTestCa, issueServerCertificate } from '../../dev/idp/test-ca.js';
import { uniqueTestContainer } from '../helpers/blob-container.js';

describe('test CA', () => {
  it('issues a CA and a server certificate for localhost and loopback addresses', () => {
    const ca = createTestCa();
    const server = issueServerCertificate(ca, ['localhost', '127.0.0.1', '::1']);
    const caCert = new X509Certificate(ca.certPem);
    const serverCert = new X509Certificate(server.certPem);
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(serverCert.ca).toBe(false);
    expect(serverCert.checkIssued(caCert)).toBe(true);
    expect(serverCert.verify(caCert.publicKey)).toBe(true);
    expect(serverCert.checkHost('localhost')).toBe('localhost');
    expect(serverCert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(serverCert.checkIP('::1')).toBe('::1');
    expect(serverCert.checkHost('example.com')).toBeUndefined();
  });
});

describe('global setup', () => {
  it('makes forked workers trust the run CA through NODE_EXTRA_CA_CERTS', async () => {
    expect(process.env.NODE_EXTRA_CA_CERTS).toBe(inject('testCaFile'));
    const certificate = issueServerCertificate(inject('testCa'));
    const server = createServer(
      { key: certificate.keyPem, cert: certificate.certPem },
      (_request, response) => {
        response.end('trusted');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // Global fetch (what MSAL and jose use) with no CA option: only the worker's trust store can vouch.
      const response = await fetch(`https://127.0.0.1:${port}/`);
      expect(await response.text()).toBe('trusted');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a server whose certificate comes from another CA', async () => {
    const certificate = issueServerCertificate(createTestCa());
    const server = createServer(
      { key: certificate.keyPem, cert: certificate.certPem },
      (_request, response) => {
        response.end('untrusted');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await expect(fetch(`https://127.0.0.1:${port}/`)).rejects.toThrow();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('provides a working Azurite connection string', async () => {
    const container = uniqueTestContainer('infra');
    await container.create();
    await container.getBlockBlobClient('hello.txt').upload('hi', 2);
    const service = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
    const text = await service
      .getContainerClient(container.containerName)
      .getBlobClient('hello.txt')
      .downloadToBuffer();
    expect(text.toString()).toBe('hi');
    expect(inject('azuriteBlobEndpoint')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
  });
});
