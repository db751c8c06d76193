import { jobQueueClient } from '../../shared/store/job-queue.js';
import type { StorageTarget } from '../../shared/store/storage.js';

/**
 * The queue trigger of the local host, as the Functions host runs it: messages taken `batchSize` at a time,
 * base64 JSON handed over parsed, deleted once the function succeeded; a failed one becomes visible again
 * after `retryAfterMs` and, after `maxDequeueCount` tries, moves to `<queue>-poison`. While a function runs
 * its message stays invisible (the real host renews that; here it is taken for the longest run allowed).
 */
export interface QueuePollerOptions {
  /** The app's storage (AzureWebJobsStorage: a connection string, or identity-based URIs). */
  storage: StorageTarget;
  queueName: string;
  handler: (message: unknown) => Promise<void>;
  log: (level: string, message: string) => void;
  batchSize?: number;
  /** Between polls of an empty queue (the host's `maxPollingInterval`, set short in host.json). */
  pollMs?: number;
  retryAfterMs?: number;
  maxDequeueCount?: number;
  /** How long a message taken stays invisible: the function timeout. */
  leaseSeconds?: number;
}

export interface QueuePoller {
  /**
   * Stop taking messages and wait for the functions running, at most `graceMs` (default 8 s, the
   * shutdown's grace): as the host, which abandons them then; their messages come back after their lease.
   */
  close(graceMs?: number): Promise<void>;
}

export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const queue = jobQueueClient(options.storage, options.queueName);
  const poison = jobQueueClient(options.storage, `${options.queueName}-poison`);
  // As host.json: batchSize 16 + newBatchThreshold 8, maxDequeueCount 3.
  const batchSize = options.batchSize ?? 24;
  const running = new Set<Promise<void>>();
  let stopped = false;
  let wake: (() => void) | undefined;

  const take = async (): Promise<void> => {
    await queue.createIfNotExists();
    while (!stopped) {
      const free = batchSize - running.size;
      const { receivedMessageItems: items } =
        free > 0
          ? await queue.receiveMessages({
              numberOfMessages: Math.min(32, free),
              visibilityTimeout: options.leaseSeconds ?? 600,
            })
          : { receivedMessageItems: [] };
      for (const item of items) {
        const run: Promise<void> = handle(item)
          .catch((error: unknown) =>
            options.log('error', `message ${item.messageId}: ${(error as Error).message}`),
          )
          .finally(() => {
            running.delete(run);
            wake?.();
          });
        running.add(run);
      }
      if (items.length === 0 && !stopped)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs ?? 500);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
    }
  };

  const handle = async (item: {
    messageId: string;
    popReceipt: string;
    messageText: string;
    dequeueCount: number;
  }): Promise<void> => {
    const text = Buffer.from(item.messageText, 'base64').toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: handed over as the string it is, as the host does.
    }
    try {
      await options.handler(body);
      await queue.deleteMessage(item.messageId, item.popReceipt);
    } catch (error) {
      options.log('error', `failed (try ${item.dequeueCount}): ${(error as Error).message ?? String(error)}`);
      if (item.dequeueCount >= (options.maxDequeueCount ?? 3)) {
        await poison.createIfNotExists();
        await poison.sendMessage(item.messageText);
        await queue.deleteMessage(item.messageId, item.popReceipt);
      } else {
        await queue.updateMessage(
          item.messageId,
          item.popReceipt,
          undefined,
          Math.ceil((options.retryAfterMs ?? 10_000) / 1000),
        );
      }
    }
  };

  const loop = take().catch((error: unknown) => {
    if (!stopped) options.log('error', `polling ${options.queueName} stopped: ${(error as Error).message}`);
  });
  return {
    close: async (graceMs = 8_000) => {
      stopped = true;
      wake?.();
      await loop;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.allSettled(running), grace]);
      clearTimeout(timer);
    },
  };
}
