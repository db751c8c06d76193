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

  it('batches a second kind of request behind the same barrier: waiting on either counts, failures stay apart', async () => {
    const calls: string[] = [];
    const barrier = new BarrierBatch(async (items: number[]) => {
      calls.push(`remove ${items}`);
      return items.map((n) => n * 10);
    });
    const claim = barrier.also(async (items: string[]) => {
      calls.push(`claim ${items}`);
      if (items.includes('bad')) throw new Error('storage down');
      return items.map((item) => `${item}!`);
    });
    // Each worker claims, then removes; the one with two events claims again after its first removal.
    const results = await Promise.all([
      barrier.worker(async (submit) => [
        await claim('a'),
        await submit(1),
        await claim('a2'),
        await submit(2),
      ]),
      barrier.worker(async (submit) => {
        await tick();
        return [await claim('b'), await submit(3)];
      }),
    ]);
    expect(results).toEqual([
      ['a!', 10, 'a2!', 20],
      ['b!', 30],
    ]);
    expect(calls).toEqual(['claim a,b', 'remove 1,3', 'claim a2', 'remove 2']);

    calls.length = 0;
    const failed = barrier.worker(async () => claim('bad'));
    const removed = barrier.worker(async (submit) => submit(4));
    await expect(failed).rejects.toThrow('storage down');
    expect(await removed).toBe(40);
    // One flush: both kinds went out together, and only the claim failed.
    expect(calls.sort()).toEqual(['claim bad', 'remove 4']);
  });
});
