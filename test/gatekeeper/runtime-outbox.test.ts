import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ChatSinkServer, startChatSink } from '../../dev/chat-sink/index.js';
import { createRuntime, type RuntimeOverrides } from '../../shared/app/runtime.js';
import { parseSettings } from '../../shared/config.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import { invitationNotice } from '../chat/notices.js';

let chat: ChatSinkServer;
beforeAll(async () => {
  chat = await startChatSink();
});
afterAll(() => chat.close());

/** A runtime whose only sink is the local Teams endpoint; nothing here reaches UCWA. */
function runtimeWith(outbox: RuntimeOverrides['outbox']) {
  return createRuntime(
    parseSettings({
      UCWA_DISCOVERY_URL: 'https://lyncdiscover.contoso.com/autodiscover/autodiscoverservice.svc/root',
      CHAT_TEAMS_WEBHOOK_URL: chat.teamsUrl,
      AzureWebJobsStorage: inject('azuriteConnectionString'),
    }),
    {
      tokens: { getToken: async () => ({ token: 't', expiresOn: Date.now() + 3_600_000 }) },
      telemetry: new MemoryTelemetry(),
      log: { info: () => {}, warn: () => {}, error: () => {} },
      namespace: `o${randomUUID().replaceAll('-', '').slice(0, 12)}`,
      ...(outbox ? { outbox } : {}),
    },
  );
}

/**
 * How long after a failed post the outbox schedules the next one, as bounds that hold however long the drain
 * takes: the post failed between `before` and `after`, so the delay is at least `next - after` and at most
 * `next - before`.
 */
async function retryDelay(outbox: RuntimeOverrides['outbox']): Promise<{ atLeast: number; atMost: number }> {
  const rt = await runtimeWith(outbox);
  const id = randomUUID();
  await rt.outbox.enqueue(invitationNotice({ id }));
  chat.fail(1, 503);
  const before = Date.now();
  await rt.drainOutbox();
  const after = Date.now();
  const next = (await rt.outbox.get(id))?.sinks.teams?.nextAttemptAt;
  if (!next) throw new Error('no retry scheduled');
  return { atLeast: Date.parse(next) - after, atMost: Date.parse(next) - before };
}

describe("the runtime's outbox override", () => {
  it('shortens the chat backoff; without it the default holds', async () => {
    // Equal jitter: between half and all of the base delay.
    expect((await retryDelay({ backoff: { baseMs: 100, maxMs: 200 } })).atLeast).toBeLessThanOrEqual(200);
    expect((await retryDelay(undefined)).atMost).toBeGreaterThanOrEqual(15_000);
  });
});
