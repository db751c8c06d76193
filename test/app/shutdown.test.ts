import { describe, expect, it, vi } from 'vitest';
import { shutDown, shutdownSignal, untilShutdown } from '../../shared/app/shutdown.js';

// One process per test file: the shutdown is one-way, so this file has it to itself.
describe('the graceful shutdown (appTerminate)', () => {
  it('tells runs to stop, waits for them to finish, and gives up on one that does not after the grace', async () => {
    vi.useFakeTimers();
    try {
      let finished = false;
      const stops = untilShutdown(
        new Promise<void>((resolve) =>
          shutdownSignal.addEventListener('abort', () => {
            // Its cleanup (cursor, lease) takes a moment after the signal.
            queueMicrotask(() => {
              finished = true;
              resolve();
            });
          }),
        ),
      );
      const hangs = untilShutdown(new Promise<void>(() => {}));
      let settled = false;
      const shutdown = shutDown(8_000).then(() => {
        settled = true;
      });
      expect(shutdownSignal.aborted).toBe(true);
      await stops;
      expect(finished).toBe(true);
      await vi.advanceTimersByTimeAsync(7_999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await shutdown;
      expect(settled).toBe(true);
      void hangs;
    } finally {
      vi.useRealTimers();
    }
  });
});
