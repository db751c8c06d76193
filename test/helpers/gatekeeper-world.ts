import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type ChatSinkServer, startChatSink } from '../../dev/chat-sink/index.js';
import { type FaultProxy, proxiedConnectionString, startFaultProxy } from '../../dev/fault-proxy/index.js';
import type { SimulatorOptions, UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { parseSettings } from '../../shared/config.js';
import { runWatch } from '../../shared/gatekeeper/jobs.js';
import type { Logger } from '../../shared/gatekeeper/logger.js';
import { createRuntime, type Runtime } from '../../shared/gatekeeper/runtime.js';
import type { WatchResult } from '../../shared/gatekeeper/watch-events.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import { simTokens, startSim } from './ucwa-sim.js';

export const MEETING_URI = 'sip:organizer@contoso.com;gruu;opaque=app:conf:focus:id:WORLD1';

export interface World {
  sim: UcwaSimulator;
  chat: ChatSinkServer;
  rt: Runtime;
  /** Prefix of this world's tables and lease blob. */
  namespace: string;
  telemetry: MemoryTelemetry;
  logs: { level: string; message: string; properties?: Record<string, unknown> }[];
  /** Fault proxies in front of Azurite's table and blob services (with `storageProxies`). */
  storage?: { table: FaultProxy; blob: FaultProxy };
  /** Hold the event channel until `done()` holds (or `maxMs` passed); one watch run. */
  watchUntil(done: () => boolean, maxMs?: number): Promise<WatchResult>;
  /** Chat messages received per channel. */
  received(channel: 'teams' | 'slack' | 'webhook'): unknown[];
  close(): Promise<void>;
}

export interface WorldOptions {
  sim?: SimulatorOptions;
  settings?: Record<string, string>;
  /** Route the runtime's storage through fault proxies (`world.storage`), to fail its writes on the wire. */
  storageProxies?: boolean;
}

/** The simulator, the local chat sink, Azurite (own tables) and a gatekeeper runtime wired to them. */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const storage = options.storageProxies
    ? {
        table: await startFaultProxy({ target: inject('azuriteTableEndpoint') }),
        blob: await startFaultProxy({ target: inject('azuriteBlobEndpoint') }),
      }
    : undefined;
  const connectionString = storage
    ? proxiedConnectionString(inject('azuriteConnectionString'), {
        table: storage.table.url,
        blob: storage.blob.url,
      })
    : inject('azuriteConnectionString');
  const sim = await startSim(options.sim);
  const chat = await startChatSink();
  const telemetry = new MemoryTelemetry();
  const logs: World['logs'] = [];
  const log: Logger = {
    info: (message, properties) =>
      logs.push({ level: 'info', message, ...(properties ? { properties } : {}) }),
    warn: (message, properties) =>
      logs.push({ level: 'warn', message, ...(properties ? { properties } : {}) }),
    error: (message, properties) =>
      logs.push({ level: 'error', message, ...(properties ? { properties } : {}) }),
  };
  const settings = parseSettings({
    UCWA_DISCOVERY_URL: sim.discoveryUrl,
    GATEKEEPER_MODE: 'enforce',
    CHAT_TEAMS_WEBHOOK_URL: chat.teamsUrl,
    CHAT_SLACK_WEBHOOK_URL: chat.slackUrl,
    AzureWebJobsStorage: connectionString,
    ...options.settings,
  });
  const namespace = `t${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const rt = await createRuntime(settings, {
    tokens: simTokens(sim),
    telemetry,
    log,
    namespace,
    ...(storage ? { storage: { connectionString } } : {}),
    ucwa: { eventChannel: { timeoutSec: 1, marginMs: 5_000 }, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
  });
  return {
    sim,
    chat,
    rt,
    namespace,
    telemetry,
    logs,
    ...(storage ? { storage } : {}),
    async watchUntil(done, maxMs = 8_000) {
      const controller = new AbortController();
      const started = Date.now();
      const timer = setInterval(() => {
        if (done() || Date.now() - started > maxMs) controller.abort();
      }, 20);
      try {
        return await runWatch(rt, Date.now() + maxMs + 1_000, controller.signal);
      } finally {
        clearInterval(timer);
      }
    },
    received: (channel) => chat.received.filter((m) => m.channel === channel).map((m) => m.body),
    async close() {
      await sim.close();
      await chat.close();
      await storage?.table.close();
      await storage?.blob.close();
    },
  };
}
