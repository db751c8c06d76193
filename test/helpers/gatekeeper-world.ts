import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type ChatSinkServer, startChatSink } from '../../dev/chat-sink/index.js';
import { type FaultProxy, proxiedConnectionString, startFaultProxy } from '../../dev/fault-proxy/index.js';
import type { SimulatorOptions, UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { runWatch } from '../../shared/app/jobs.js';
import { createRuntime, type Runtime } from '../../shared/app/runtime.js';
import { parseSettings } from '../../shared/config.js';
import type { Logger } from '../../shared/gatekeeper/logger.js';
import type { WatchResult } from '../../shared/gatekeeper/watch-events.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import { simTokens, startSim } from './ucwa-sim.js';

export const MEETING_URI = 'sip:organizer@contoso.com;gruu;opaque=app:conf:focus:id:WORLD1';

/**
 * The gatekeeper's clock in a world starts at noon UTC of this day and runs at the wall clock's pace: its
 * audit rows always fall on this day's partition, whatever the hour a test runs (no midnight flake).
 */
export const WORLD_DAY = '2026-06-01';
const WORLD_START = Date.parse(`${WORLD_DAY}T12:00:00Z`);

/** A clock that starts at noon of `WORLD_DAY` now and moves with real time (the simulator's timers are real). */
export function worldClock(): () => Date {
  const origin = performance.now();
  return () => new Date(WORLD_START + (performance.now() - origin));
}

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
  /** Hold the event channel until `done()` holds; one watch run. Throws when `maxMs` passes first. */
  watchUntil(done: () => boolean, maxMs?: number): Promise<WatchResult>;
  /** Resolves once `holds()` is true, checked now and after each action the simulator records. */
  untilAction(holds: () => boolean): Promise<void>;
  /** The audit rows the gatekeeper wrote (all on `WORLD_DAY`, see `worldClock`). */
  auditRows(): Promise<Record<string, unknown>[]>;
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
    now: worldClock(),
    ...(storage ? { storage: { connectionString } } : {}),
    ucwa: { eventChannel: { timeoutSec: 1, marginMs: 5_000 }, retry: { baseMs: 5, maxMs: 20 } },
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
      const started = performance.now();
      let held = false;
      const timer = setInterval(() => {
        held ||= done();
        if (held || performance.now() - started > maxMs) controller.abort();
      }, 20);
      try {
        const result = await runWatch(rt, rt.now().getTime() + maxMs + 1_000, controller.signal);
        // Running out of time is a failure, never a silent pass on whatever happened by then.
        if (!held && !done() && result.outcome !== 'another-consumer')
          throw new Error(
            `watchUntil: the condition did not hold within ${maxMs} ms (${JSON.stringify(result)})`,
          );
        return result;
      } finally {
        clearInterval(timer);
      }
    },
    untilAction(holds) {
      if (holds()) return Promise.resolve();
      return new Promise((resolve) => {
        const listener = (): void => {
          if (!holds()) return;
          sim.off('action', listener);
          resolve();
        };
        sim.on('action', listener);
      });
    },
    auditRows: () => rt.audit.day(WORLD_DAY),
    received: (channel) => chat.received.filter((m) => m.channel === channel).map((m) => m.body),
    async close() {
      await sim.close();
      await chat.close();
      await storage?.table.close();
      await storage?.blob.close();
    },
  };
}
