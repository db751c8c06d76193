import type { ContainerClient } from '@azure/storage-blob';
import { DEFAULT_CACHE_CONTAINER } from '../auth/blob-cache-plugin.js';
import { blobServiceClient } from '../store/blob-service.js';
import { hasBlobStorage, type StorageTarget } from '../store/storage.js';

/**
 * The container of the token cache, in the same storage as the rest of the state: the `AzureWebJobsStorage`
 * connection string locally, the identity-based `AzureWebJobsStorage__blobServiceUri` in Azure. Undefined
 * when no blob storage is configured. Builds clients only; no request is sent.
 */
export function tokenCacheContainer(
  target: StorageTarget,
  containerName: string = DEFAULT_CACHE_CONTAINER,
): ContainerClient | undefined {
  if (!hasBlobStorage(target)) return undefined;
  return blobServiceClient(target).getContainerClient(containerName);
}
