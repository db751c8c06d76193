/**
 * Coalesces the requests of concurrent workers into one call, without timers: a batch runs when every worker
 * still running is waiting on a submission. A burst of 50 lobby guards thus ends in one batched eject POST
 * instead of 50, while a lone guard's request goes out at once.
 */
export class BarrierBatch<T, R> {
  /** Workers that are neither finished nor waiting for a batch. */
  private running = 0;
  private queue: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly run: (items: T[]) => Promise<R[]>) {}

  /** Run `work` as one worker of the barrier. */
  async worker<V>(work: (submit: (item: T) => Promise<R>) => Promise<V>): Promise<V> {
    this.running++;
    try {
      return await work((item) => this.submit(item));
    } finally {
      this.running--;
      this.flushIfAllWaiting();
    }
  }

  private submit(item: T): Promise<R> {
    const result = new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject }));
    this.running--;
    this.flushIfAllWaiting();
    return result;
  }

  private flushIfAllWaiting(): void {
    if (this.running > 0 || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    // The submitters run again once their batch answers.
    this.running += batch.length;
    this.run(batch.map((entry) => entry.item)).then(
      (results) => {
        for (const [index, entry] of batch.entries()) entry.resolve(results[index] as R);
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
      },
    );
  }
}
