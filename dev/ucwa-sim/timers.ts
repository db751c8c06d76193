/**
 * Every timer the simulator starts goes through here, so close() can prove nothing is left behind.
 * Timers are unref'd: the listening sockets are what keep a process alive, never a forgotten timer.
 */
export class Timers {
  private readonly timeouts = new Set<NodeJS.Timeout>();
  private readonly immediates = new Set<NodeJS.Immediate>();
  private readonly pendingDelays = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  /** Epoch milliseconds with sub-millisecond precision (monotonic within a run). */
  static now(): number {
    return performance.timeOrigin + performance.now();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  setTimeout(fn: () => void, ms: number): NodeJS.Timeout | undefined {
    if (this.closed) return undefined;
    const handle = setTimeout(
      () => {
        this.timeouts.delete(handle);
        fn();
      },
      Math.max(0, ms),
    );
    handle.unref();
    this.timeouts.add(handle);
    return handle;
  }

  clearTimeout(handle: NodeJS.Timeout | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.timeouts.delete(handle);
  }

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
      let handle: NodeJS.Timeout | undefined;
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
    for (const handle of this.timeouts) clearTimeout(handle);
    for (const handle of this.immediates) clearImmediate(handle);
    this.timeouts.clear();
    this.immediates.clear();
    for (const resolve of this.pendingDelays.values()) resolve();
    this.pendingDelays.clear();
  }
}
