import { TableClient } from '@azure/data-tables';
import type { BlobServiceClient } from '@azure/storage-blob';
import { ManagedIdentityCredential } from '../auth/managed-identity-credential.js';
import { statusOf } from '../lib/azure-status.js';

/**
 * Where state lives: a connection string (Azurite locally), or in Azure the identity-based
 * `AzureWebJobsStorage__*` settings the Functions host uses too, with the user-assigned managed identity.
 */
export interface StorageTarget {
  connectionString?: string;
  tableServiceUri?: string;
  blobServiceUri?: string;
  queueServiceUri?: string;
  /** Client id of the user-assigned managed identity (`AzureWebJobsStorage__clientId`). */
  clientId?: string;
}

export class StorageConfigError extends Error {
  override name = 'StorageConfigError';
}

/** Read the storage target from the environment the Functions host gives the app. */
export function storageTargetFromEnv(env: Record<string, string | undefined> = process.env): StorageTarget {
  const pick = (name: string) => env[name]?.trim() || undefined;
  const target: StorageTarget = {};
  const connectionString = pick('AzureWebJobsStorage');
  if (connectionString) target.connectionString = connectionString;
  const tableServiceUri = pick('AzureWebJobsStorage__tableServiceUri');
  if (tableServiceUri) target.tableServiceUri = tableServiceUri;
  const blobServiceUri = pick('AzureWebJobsStorage__blobServiceUri');
  if (blobServiceUri) target.blobServiceUri = blobServiceUri;
  const queueServiceUri = pick('AzureWebJobsStorage__queueServiceUri');
  if (queueServiceUri) target.queueServiceUri = queueServiceUri;
  const clientId = pick('AzureWebJobsStorage__clientId');
  if (clientId) target.clientId = clientId;
  return target;
}

const isHttp = (connectionString: string) =>
  /(^|;)\s*(TableEndpoint|BlobEndpoint|DefaultEndpointsProtocol)\s*=\s*http[:;]/i.test(connectionString) ||
  /UseDevelopmentStorage=true/i.test(connectionString);

export function managedIdentity(clientId: string | undefined): ManagedIdentityCredential {
  return new ManagedIdentityCredential(clientId ? { clientId } : {});
}

/** Builds the client only; the first request happens on use. */
export function tableClient(target: StorageTarget, table: string): TableClient {
  if (target.connectionString) {
    return TableClient.fromConnectionString(target.connectionString, table, {
      allowInsecureConnection: isHttp(target.connectionString),
    });
  }
  if (target.tableServiceUri)
    return new TableClient(target.tableServiceUri, table, managedIdentity(target.clientId));
  throw new StorageConfigError(
    'Setting AzureWebJobsStorage (or AzureWebJobsStorage__tableServiceUri) is required for state',
  );
}

/** Whether blob storage is configured (the token cache needs it). */
export function hasBlobStorage(target: StorageTarget): boolean {
  return Boolean(target.connectionString || target.blobServiceUri);
}

/**
 * The blob service client (blob-service.ts), loading the Blob SDK on first use: the lease and the token cache
 * need it, the first request does not (its ~1 MB would be parsed on every cold start).
 */
export async function loadBlobServiceClient(target: StorageTarget): Promise<BlobServiceClient> {
  const { blobServiceClient } = await import('./blob-service.js');
  return blobServiceClient(target);
}

/**
 * Deletes one entity (only if its ETag is still `etag`, when given): false when it is already gone or changed
 * since it was listed — a claim taken up again must not be purged.
 */
export async function deleteIfUnchanged(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
  etag?: string,
): Promise<boolean> {
  try {
    await table.deleteEntity(partitionKey, rowKey, etag ? { etag } : {});
    return true;
  } catch (error) {
    if (statusOf(error) === 404 || statusOf(error) === 412) return false;
    throw error;
  }
}
