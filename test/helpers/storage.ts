import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { BlobServiceClient } from '@azure/storage-blob';
import { inject } from 'vitest';
import { blobServiceClient } from '../../shared/store/blob-service.js';
import { type StorageTarget, tableClient } from '../../shared/store/storage.js';

/** The run's Azurite, as the code under test sees it (the `AzureWebJobsStorage` connection string). */
export function azuriteTarget(): StorageTarget {
  return { connectionString: inject('azuriteConnectionString') };
}

/** A table of its own for one test, so tests never see each other's rows. */
export function uniqueTable(prefix: string): TableClient {
  return tableClient(azuriteTarget(), `${prefix}${randomUUID().replaceAll('-', '')}`.slice(0, 63));
}

export function azuriteBlobs(): BlobServiceClient {
  return blobServiceClient(azuriteTarget());
}
