import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startAzurite } from '../dev/azurite.js';
import { createTestCa, type TestCa } from '../dev/idp/test-ca.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Azurite (blob, queue, table) in memory, started once for the whole run. */
    azuriteConnectionString: string;
    azuriteBlobEndpoint: string;
    azuriteQueueEndpoint: string;
    azuriteTableEndpoint: string;
    /** The CA every local HTTPS test server must use (see test/helpers/identity-provider.ts). */
    testCa: TestCa;
    /** PEM file named by NODE_EXTRA_CA_CERTS in the test workers. */
    testCaFile: string;
  }
}

/**
 * Runs once in the main vitest process, before any worker starts:
 * 1. generates the test CA and points NODE_EXTRA_CA_CERTS at it. Node reads that variable only at process
 *    start, so it must be set here, before vitest forks the workers (which inherit this environment); the
 *    CA's key travels to the workers through `provide` so their HTTPS servers can get certificates from it.
 * 2. starts Azurite in memory on free ports.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const directory = await mkdtemp(join(tmpdir(), 'ucwa-gatekeeper-test-'));
  const azurite = startAzurite();
  try {
    const ca = createTestCa();
    const caFile = join(directory, 'test-ca.pem');
    // Keep a CA bundle the developer already relies on (corporate proxy, ...).
    const existing = process.env.NODE_EXTRA_CA_CERTS
      ? await readFile(process.env.NODE_EXTRA_CA_CERTS, 'utf8').catch(() => '')
      : '';
    await writeFile(caFile, `${existing.trim()}\n${ca.certPem}`.trimStart());
    process.env.NODE_EXTRA_CA_CERTS = caFile;
    project.provide('testCa', ca);
    project.provide('testCaFile', caFile);

    const storage = await azurite;
    project.provide('azuriteConnectionString', storage.connectionString);
    project.provide('azuriteBlobEndpoint', storage.blobEndpoint);
    project.provide('azuriteQueueEndpoint', storage.queueEndpoint);
    project.provide('azuriteTableEndpoint', storage.tableEndpoint);

    return async () => {
      await storage.stop();
      await rm(directory, { recursive: true, force: true });
    };
  } catch (error) {
    await (await azurite.catch(() => undefined))?.stop();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}
