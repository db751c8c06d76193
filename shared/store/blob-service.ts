import { BlobServiceClient } from '@azure/storage-blob';
import { managedIdentity, StorageConfigError, type StorageTarget } from './storage.js';

/** Builds the client only; the first request happens on use. Loaded on first use (loadBlobServiceClient). */
export function blobServiceClient(target: StorageTarget): BlobServiceClient {
  if (target.connectionString) return BlobServiceClient.fromConnectionString(target.connectionString);
  if (target.blobServiceUri)
    return new BlobServiceClient(target.blobServiceUri, managedIdentity(target.clientId));
  throw new StorageConfigError(
    'Setting AzureWebJobsStorage (or AzureWebJobsStorage__blobServiceUri) is required for state',
  );
}
