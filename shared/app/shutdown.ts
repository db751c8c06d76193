/**
 * The process's graceful shutdown: the Functions host's `appTerminate` hook (scale-in, a deployment) or the
 * local host's close. A run holding the event channel stops at once, saving its cursor and releasing its
 * lease, so the next instance takes the channel over without waiting for the lease to run out. One per
 * process, and one-way: a terminating app does not start again.
 */
const terminating = new AbortController();
const runs = new Set<Promise<unknown>>();

/** The worker exits right after its terminate hooks: wait this long at most for runs to finish. */
const GRACE_MS = 8_000;

export const shutdownSignal: AbortSignal = terminating.signal;

/** Runs `run` so that a shutdown waits for it (it must honour `shutdownSignal`). */
export function untilShutdown<T>(run: Promise<T>): Promise<T> {
  runs.add(run);
  const forget = () => runs.delete(run);
  run.then(forget, forget);
  return run;
}

/** Tells every run to stop; settles when they have, or after the grace period. Never rejects. */
export async function shutDown(graceMs = GRACE_MS): Promise<void> {
  terminating.abort(new Error('the app is shutting down'));
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
    timer.unref();
  });
  await Promise.race([Promise.allSettled([...runs]), grace]);
  clearTimeout(timer);
}
