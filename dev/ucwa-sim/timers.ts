/**
 * Where the simulator's time comes from: the wall clock, or a `ManualClock` a test moves forward itself, so a
 * P-GET timeout, a resume after silence or an idle reclaim happens exactly when the test says, never "after
 * about 450 ms of sleeping".
 */
export interface SimClock {
  /** Epoch milliseconds (sub-millisecond precision on the wall clock). */
  now(): number;
  /** Runs `fn` once `ms` have passed on this clock; the answer cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

/** Real time. Its timers are unref'd: the listening sockets keep a process alive, never a forgotten timer. */
export const wallClock: SimClock = {
  now: () => performance.timeOrigin + performance.now(),
  schedule(fn, ms) {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return () => clearTimeout(handle);
  },
};

/**
 * Time that moves only when `advance` is called: every timer due on the way runs, in order of its due time
 * (then of scheduling), with `now()` reading that time while it runs.
 */
interface Due {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements SimClock {
  #now: number;
  #seq = 0;
  readonly #due: Due[] = [];
  readonly #waiters: ((ms: number) => void)[] = [];

  constructor(start = Date.parse('2026-06-01T12:00:00Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(fn: () => void, ms: number): () => void {
    const entry = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#due.push(entry);
    for (const wake of this.#waiters.splice(0)) wake(ms);
    return () => {
      const index = this.#due.indexOf(entry);
      if (index >= 0) this.#due.splice(index, 1);
    };
  }

  /**
   * Resolves with the delay of the next timer scheduled from now on: when a request is held by latency, say,
   * so a test advances the clock only once there is something to advance past.
   */
  nextTimer(): Promise<number> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Timers scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.#due.length;
  }

  /** Moves the time `ms` forward, running the timers that fall due (including ones they schedule). */
  advance(ms: number): void {
    const until = this.#now + Math.max(0, ms);
    for (;;) {
      let next: Due | undefined;
      for (const entry of this.#due) {
        if (entry.at > until) continue;
        if (!next || entry.at < next.at || (entry.at === next.at && entry.seq < next.seq)) next = entry;
      }
      if (!next) break;
      this.#due.splice(this.#due.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = until;
  }
}

/** A pending timeout of `Timers`; pass it to `clearTimeout`. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Every timer the simulator starts goes through here, so close() can prove nothing is left behind, and every
 * time it reads comes from one clock.
 */
export class Timers {
  private readonly timeouts = new Set<TimerHandle>();
  private readonly immediates = new Set<NodeJS.Immediate>();
  private readonly pendingDelays = new Map<TimerHandle, () => void>();
  private closed = false;

  constructor(private readonly clock: SimClock = wallClock) {}

  /** Epoch milliseconds on the simulator's clock. */
  now(): number {
    return this.clock.now();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle | undefined {
    if (this.closed) return undefined;
    const handle: TimerHandle = {
      cancel: this.clock.schedule(
        () => {
          this.timeouts.delete(handle);
          fn();
        },
        Math.max(0, ms),
      ),
    };
    this.timeouts.add(handle);
    return handle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    handle.cancel();
    this.timeouts.delete(handle);
  }

  /** At once, on the next turn of the event loop: the same on every clock. */
  setImmediate(fn: () => void): NodeJS.Immediate | undefined {
    if (this.closed) return undefined;
    const handle = setImmediate(() => {
      this.immediates.delete(handle);
      fn();
    });
    // Never unref'd: an unref'd immediate may wait until other I/O wakes the loop (a parked P-GET was held
    // 50–400 ms), and it runs at once anyway, so it cannot keep a process alive.
    this.immediates.add(handle);
    return handle;
  }

  clearImmediate(handle: NodeJS.Immediate | undefined): void {
    if (!handle) return;
    clearImmediate(handle);
    this.immediates.delete(handle);
  }

  /** Resolves after `ms` (at once for 0), or early when the timers close, so no caller hangs on close(). */
  delay(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      let handle: TimerHandle | undefined;
      const done = (): void => {
        if (handle) this.pendingDelays.delete(handle);
        resolve();
      };
      handle = this.setTimeout(done, ms);
      if (handle) this.pendingDelays.set(handle, resolve);
      else resolve();
    });
  }

  get activeCount(): number {
    return this.timeouts.size + this.immediates.size;
  }

  closeAll(): void {
    this.closed = true;
    for (const handle of this.timeouts) handle.cancel();
    for (const handle of this.immediates) clearImmediate(handle);
    this.timeouts.clear();
    this.immediates.clear();
    for (const resolve of this.pendingDelays.values()) resolve();
    this.pendingDelays.clear();
  }
}
