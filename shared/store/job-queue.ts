import { QueueClient } from '@azure/storage-queue';
import { managedIdentity, StorageConfigError, type StorageTarget } from './storage.js';

/**
 * The Storage queue the timers fan the accounts' jobs out through (`functions/accountJob.ts` takes them).
 * Imported on first use (account-jobs.ts): the first request of an instance does not need the Queue SDK.
 */
export function jobQueueClient(target: StorageTarget, name: string): QueueClient {
  if (target.connectionString) return new QueueClient(target.connectionString, name);
  if (target.queueServiceUri)
    return new QueueClient(
      `${target.queueServiceUri.replace(/\/+$/, '')}/${name}`,
      managedIdentity(target.clientId),
    );
  throw new StorageConfigError(
    'Setting AzureWebJobsStorage (or AzureWebJobsStorage__queueServiceUri) is required for the job queue',
  );
}

/** What the timers need of the queue: send one message (a JSON text, base64 as the Functions host reads it). */
export interface JobQueue {
  send(json: string): Promise<void>;
}

export function jobQueue(target: StorageTarget, name: string): JobQueue {
  let client: QueueClient | undefined;
  let created: Promise<unknown> | undefined;
  return {
    async send(json) {
      client ??= jobQueueClient(target, name);
      const queue = client;
      created ??= queue.createIfNotExists().catch((error: unknown) => {
        created = undefined;
        throw error;
      });
      await created;
      await queue.sendMessage(Buffer.from(json, 'utf8').toString('base64'));
    },
  };
}
