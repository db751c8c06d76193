/**
 * Injects one planned fault into the world: the UCWA simulator's fault rules, latency and application
 * expiry; the storage proxies' outages and slow answers; the chat sink's failures, stalls and resets; and
 * process kills (now, or armed to follow the next removal or chat message).
 */
import type { FaultRecord } from './driver.js';
import type { Infra } from './infra.js';
import { type FaultItem, UCWA_PATHS } from './plan.js';

/** How long an `after-eject` / `after-chat` kill stays armed (removals come in bursts, minutes apart). */
const ARMED_MS = 60_000;

export class FaultInjector {
  private latencyWindows = 0;

  constructor(
    private readonly infra: Infra,
    private readonly later: (ms: number, fn: () => void) => void,
    private readonly kill: (trigger: string) => void,
    private readonly arm: (trigger: 'after-eject' | 'after-chat', until: number, delayMs: number) => void,
  ) {}

  inject(fault: FaultItem): FaultRecord {
    const { sim, chat } = this.infra;
    const at = Date.now();
    switch (fault.kind) {
      case 'ucwa-status': {
        const handle = sim.faults.inject({
          path: new RegExp(UCWA_PATHS[fault.path]),
          status: fault.status,
          times: fault.times,
          ...(fault.retryAfter && { retryAfter: fault.retryAfter }),
        });
        return {
          kind: fault.kind,
          at,
          detail: `${fault.status} ${fault.path} ×${fault.times}`,
          hits: () => handle.hits,
        };
      }
      case 'ucwa-drop': {
        const handle = sim.faults.inject({
          path: new RegExp(UCWA_PATHS[fault.path]),
          drop: true,
          times: fault.times,
          phase: fault.phase,
        });
        const detail = `reset ${fault.path} ${fault.phase} ×${fault.times}`;
        return { kind: fault.kind, at, detail, hits: () => handle.hits };
      }
      case 'ucwa-latency':
        this.latencyWindows++;
        sim.setLatency(fault.latencyMs);
        this.later(fault.durationMs, () => --this.latencyWindows === 0 && sim.setLatency(0));
        return { kind: fault.kind, at, end: at + fault.durationMs, detail: `+${fault.latencyMs} ms` };
      case 'ucwa-expire': {
        const applicationId = sim.currentApplicationId();
        sim.expireApplication(fault.how);
        return { kind: fault.kind, at, detail: fault.how, ...(applicationId && { applicationId }) };
      }
      case 'storage-outage':
        for (const proxy of proxiesOf(this.infra, fault.service)) proxy.outage(fault.durationMs);
        return { kind: fault.kind, at, end: at + fault.durationMs, detail: `${fault.service} writes 503` };
      case 'storage-slow': {
        const [proxy] = proxiesOf(this.infra, fault.service);
        const handle = proxy?.inject({ latencyMs: fault.latencyMs, times: fault.times });
        const detail = `${fault.service} +${fault.latencyMs} ms ×${fault.times}`;
        return { kind: fault.kind, at, detail, hits: () => handle?.hits ?? 0 };
      }
      case 'chat-fail':
        chat.fail(fault.count, fault.status, fault.retryAfter ? { retryAfter: fault.retryAfter } : {});
        return { kind: fault.kind, at, detail: `${fault.status} ×${fault.count}` };
      case 'chat-stall':
      case 'chat-down':
        if (fault.kind === 'chat-stall') chat.stall();
        else chat.down();
        this.later(fault.durationMs, () => chat.up());
        return { kind: fault.kind, at, end: at + fault.durationMs, detail: `${fault.durationMs} ms` };
      case 'kill':
        if (fault.trigger === 'timer') this.kill('timer');
        else this.arm(fault.trigger, at + ARMED_MS, fault.delayMs);
        return { kind: fault.kind, at, detail: fault.trigger };
    }
  }
}

function proxiesOf(infra: Infra, service: 'table' | 'blob' | 'both') {
  if (service === 'table') return [infra.tableProxy];
  if (service === 'blob') return [infra.blobProxy];
  return [infra.tableProxy, infra.blobProxy];
}
