import { EventEmitter } from 'node:events';
import { Timers } from './timers.js';
import type { RecordedAction, RecordedRequest } from './types.js';

/** Every request and every state-changing operation, in order, for tests and benchmarks to inspect. */
export class Recorder {
  readonly requests: RecordedRequest[] = [];
  readonly actions: RecordedAction[] = [];
  readonly emitter = new EventEmitter();

  /** A request arrived: recorded and announced at once (`status` 0 until it is answered). */
  request(entry: RecordedRequest): RecordedRequest {
    this.requests.push(entry);
    this.emitter.emit('request', entry);
    return entry;
  }

  /** The same entry, answered (status -1: dropped, 499: the client left first). */
  complete(entry: RecordedRequest, status: number): void {
    entry.status = status;
    entry.completedAt = Timers.now();
    this.emitter.emit('response', entry);
  }

  action(action: Omit<RecordedAction, 'at'>): void {
    const entry: RecordedAction = { ...action, at: Timers.now() };
    this.actions.push(entry);
    this.emitter.emit('action', entry);
  }
}
