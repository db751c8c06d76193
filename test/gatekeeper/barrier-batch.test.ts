import { describe, expect, it } from 'vitest';
import { BarrierBatch } from '../../shared/gatekeeper/barrier-batch.js';

/** One turn of the event loop: workers reach the barrier at different turns, never after a wait. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BarrierBatch', () => {
  it('sends one batch once every worker waits, and a lone worker at once', async () => {
    const calls: number[][] = [];
    const barrier = new BarrierBatch(async (items: number[]) => {
      calls.push(items);
      return items.map((n) => n * 10);
    });
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        barrier.worker(async (submit) => {
          for (let i = 0; i < n; i++) await tick(); // workers reach the barrier at different times
          return n === 3 ? 0 : submit(n); // one never submits
        }),
      ),
    );
    expect(results).toEqual([10, 20, 0, 40]);
    expect(calls).toEqual([[1, 2, 4]]);
    expect(await barrier.worker((submit) => submit(7))).toBe(70);
  });

  it('lets a worker submit again, and passes a failure to everyone in the batch', async () => {
    const calls: number[][] = [];
    const barrier = new BarrierBatch(async (items: number[]) => {
      calls.push(items);
      if (items.includes(99)) throw new Error('boom');
      return items;
    });
    const twice = barrier.worker(async (submit) => {
      await tick();
      return (await submit(1)) + (await submit(2));
    });
    const fails = barrier.worker(async (submit) => {
      await tick();
      return submit(99);
    });
    await expect(fails).rejects.toThrow('boom');
    await expect(twice).rejects.toThrow('boom');
    expect(calls).toEqual([[1, 99]]);
    const again = new BarrierBatch(async (items: number[]) => {
      calls.push(items);
      return items;
    });
    expect(await again.worker(async (submit) => (await submit(1)) + (await submit(2)))).toBe(3);
    expect(calls.slice(1)).toEqual([[1], [2]]);
  });
});
