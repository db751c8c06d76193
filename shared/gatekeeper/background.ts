/** A task that repeats beside the event channel until its signal aborts. */
export interface BackgroundLoop {
  /** Run again as soon as the current run ends (e.g. notices were queued). */
  wake(): void;
  /** Settles once the loop has stopped after the signal aborted; never rejects. */
  readonly done: Promise<void>;
}

/**
 * Runs `task` now, then `everyMs` after each run ends (sooner when woken), until `signal` aborts. The task
 * receives the signal and must honour it. A failing run is reported and the loop goes on: work off the event
 * path must never stop the channel.
 */
export function repeatInBackground(
  task: (signal: AbortSignal) => Promise<unknown>,
  options: { everyMs: number; signal: AbortSignal; onError: (error: unknown) => void },
): BackgroundLoop {
  const { signal } = options;
  let woken = false;
  let wakeUp: (() => void) | undefined;
  const pause = () =>
    new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(finish, options.everyMs);
      wakeUp = finish;
      signal.addEventListener('abort', finish, { once: true });
    });
  const done = (async () => {
    while (!signal.aborted) {
      woken = false;
      try {
        await task(signal);
      } catch (error) {
        if (!signal.aborted) options.onError(error);
      }
      if (!woken && !signal.aborted) await pause();
    }
  })();
  return {
    wake() {
      woken = true;
      wakeUp?.();
    },
    done,
  };
}
