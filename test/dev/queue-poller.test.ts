import { randomUUID } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type QueuePoller, startQueuePoller } from '../../dev/host/queue-poller.js';
import { jobQueue } from '../../shared/store/job-queue.js';

let poller: QueuePoller | undefined;
afterEach(async () => {
  await poller?.close();
  poller = undefined;
});

describe("the local host's queue trigger (Azurite)", () => {
  it('hands each message over parsed, deletes it on success, retries a failure and then moves it to poison', async () => {
    const connectionString = inject('azuriteConnectionString');
    const queueName = `jobs${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const queue = jobQueue({ connectionString }, queueName);
    const seen: unknown[] = [];
    let tries = 0;
    let settled!: () => void;
    const done = new Promise<void>((resolve) => {
      settled = resolve;
    });
    poller = startQueuePoller({
      storage: { connectionString },
      queueName,
      pollMs: 20,
      retryAfterMs: 0,
      maxDequeueCount: 3,
      log: () => {},
      handler: async (message) => {
        seen.push(message);
        if ((message as { job: string }).job === 'fails') {
          tries += 1;
          if (tries === 3) setTimeout(settled, 200);
          throw new Error('it fails');
        }
      },
    });
    await queue.send(JSON.stringify({ job: 'works', account: 'a' }));
    await queue.send(JSON.stringify({ job: 'fails', account: 'b' }));
    await done;
    await poller.close();
    poller = undefined;

    expect(seen.filter((m) => (m as { job: string }).job === 'works')).toEqual([
      { job: 'works', account: 'a' },
    ]);
    expect(tries).toBe(3);
    const left = await new QueueClient(connectionString, queueName).peekMessages({ numberOfMessages: 32 });
    expect(left.peekedMessageItems).toHaveLength(0);
    const poisoned = await new QueueClient(connectionString, `${queueName}-poison`).peekMessages();
    expect(
      poisoned.peekedMessageItems.map((m) =>
        JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')),
      ),
    ).toEqual([{ job: 'fails', account: 'b' }]);
  });
});
