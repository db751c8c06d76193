import { EventEmitter } from 'node:events';
import type { Timers } from './timers.js';
import type { RecordedAction, RecordedRequest } from './types.js';

/** Every request and every state-changing operation, in order, for tests and benchmarks to inspect. */
export class Recorder {
  readonly requests: RecordedRequest[] = [];
  readonly actions: RecordedAction[] = [];
  readonly emitter = new EventEmitter();

  constructor(private readonly timers: Timers) {}

  /** A request arrived: recorded and announced at once (`status` 0 until it is answered). */
  request(entry: RecordedRequest): RecordedRequest {
    this.requests.push(entry);
    this.emitter.emit('request', entry);
    return entry;
  }

  /** The same entry, answered (status -1: dropped, 499: the client left first). */
  complete(entry: RecordedRequest, status: number): void {
    entry.status = status;
    entry.completedAt = this.timers.now();
    this.emitter.emit('response', entry);
  }

  action(action: Omit<RecordedAction, 'at'>): void {
    const entry: RecordedAction = { ...action, at: this.timers.now() };
    this.actions.push(entry);
    this.emitter.emit('action', entry);
  }

  /** A P-GET was parked: it now waits for events or its timeout (tests advance a manual clock after this). */
  parked(): void {
    this.emitter.emit('parked');
  }
}
