/**
 * The process's graceful shutdown: the Functions host's `appTerminate` hook (scale-in, a deployment) or the
 * local host's close. A run holding the event channel stops at once, saving its cursor and releasing its
 * lease, so the next instance takes the channel over without waiting for the lease to run out. One per
 * process, and one-way: a terminating app does not start again.
 */
const terminating = new AbortController();

export const shutdownSignal: AbortSignal = terminating.signal;

export function shutDown(): void {
  terminating.abort(new Error('the app is shutting down'));
}
