import type { OutageFilter, ProxyFaultSpec } from './rules.js';

export interface ProxyLogEntry {
  /** Arrival time on the proxy's clock. */
  at: number;
  method: string;
  /** Path + query as received. */
  path: string;
  /** The status the client got; 0 while in flight, -1 for a reset. */
  status: number;
  /** Which fault applied, e.g. `503 before`, `reset after`, `outage 503`. */
  fault?: string;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> plus the target's path (e.g. `/devstoreaccount1`): a drop-in endpoint. */
  url: string;
  inject(spec: ProxyFaultSpec): { remove(): void; readonly hits: number };
  /** Every request matching `filter` (default: every write, i.e. not GET/HEAD) is answered `status` (default 503) for `ms`. */
  outage(ms: number, filter?: OutageFilter): void;
  clear(): void;
  readonly log: readonly ProxyLogEntry[];
  /** What the proxy still holds open (all zero after `close()`). */
  openHandles(): { listening: number; connections: number; upstream: number; timers: number };
  /** Leaves no open socket or timer. */
  close(): Promise<void>;
}

/** Where latency waits; injectable so tests decide when a delayed request goes on. */
export interface ProxyTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface FaultProxyOptions {
  target: string;
  host?: string;
  port?: number;
  /** Clock for the log and outage windows; default `Date.now`. */
  now?: () => number;
  timers?: ProxyTimers;
}
