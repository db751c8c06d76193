/**
 * Coalesces the requests of concurrent workers into one call, without timers: a batch runs when every worker
 * still running is waiting on a submission. A burst of 50 lobby guards thus ends in one batched eject POST
 * instead of 50, while a lone guard's request goes out at once. Other kinds of request (`also`: the guards'
 * claims) wait behind the same barrier, each kind batched on its own.
 */
export class BarrierBatch<T, R> {
  /** Workers that are neither finished nor waiting for a batch. */
  private running = 0;
  private readonly queues: Queue<unknown, unknown>[] = [];
  private readonly main: Queue<T, R>;

  constructor(run: (items: T[]) => Promise<R[]>) {
    this.main = this.queue(run);
  }

  /**
   * Run `work` as one worker of the barrier. It starts a microtask later, so workers started together (in one
   * loop) are all counted before the first of them submits.
   */
  async worker<V>(work: (submit: (item: T) => Promise<R>) => Promise<V>): Promise<V> {
    this.running++;
    try {
      await Promise.resolve();
      return await work((item) => this.submit(this.main, item));
    } finally {
      this.running--;
      this.flushIfAllWaiting();
    }
  }

  /**
   * Another kind of request behind the same barrier, batched by `run`: its submit, for workers only. A worker
   * waiting on either kind counts as waiting, so neither kind holds the other up.
   */
  also<U, S>(run: (items: U[]) => Promise<S[]>): (item: U) => Promise<S> {
    const queue = this.queue(run);
    return (item) => this.submit(queue, item);
  }

  private queue<U, S>(run: (items: U[]) => Promise<S[]>): Queue<U, S> {
    const queue: Queue<U, S> = { run, entries: [] };
    this.queues.push(queue as unknown as Queue<unknown, unknown>);
    return queue;
  }

  private submit<U, S>(queue: Queue<U, S>, item: U): Promise<S> {
    const result = new Promise<S>((resolve, reject) => queue.entries.push({ item, resolve, reject }));
    this.running--;
    this.flushIfAllWaiting();
    return result;
  }

  private flushIfAllWaiting(): void {
    if (this.running > 0) return;
    for (const queue of this.queues) {
      if (queue.entries.length === 0) continue;
      const batch = queue.entries;
      queue.entries = [];
      // The submitters run again once their batch answers.
      this.running += batch.length;
      queue.run(batch.map((entry) => entry.item)).then(
        (results) => {
          for (const [index, entry] of batch.entries()) entry.resolve(results[index]);
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error);
        },
      );
    }
  }
}

interface Queue<T, R> {
  run: (items: T[]) => Promise<R[]>;
  entries: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[];
}
