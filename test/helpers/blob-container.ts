import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { inject } from 'vitest';

/** A new, empty-named container in the run's Azurite (not created: the code under test creates it). */
export function uniqueTestContainer(prefix = 'test'): ContainerClient {
  const name = `${prefix}-${randomUUID()}`.toLowerCase().slice(0, 63);
  return BlobServiceClient.fromConnectionString(inject('azuriteConnectionString')).getContainerClient(name);
}

/** The blob's text, or undefined when it does not exist. */
export async function readBlobText(
  container: ContainerClient,
  blobName: string,
): Promise<string | undefined> {
  const blob = container.getBlobClient(blobName);
  if (!(await blob.exists())) return undefined;
  return (await blob.downloadToBuffer()).toString('utf8');
}
