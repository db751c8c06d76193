import { z } from 'zod';
import { errorMessage } from '../lib/describe-error.js';
import type { JobQueue } from '../store/job-queue.js';
import { storageTargetFromEnv } from '../store/storage.js';
import type { AccountRuntimes } from './account-runtimes.js';
import { jobBoard } from './health.js';
import { runDigest, runRetention, runSweep, runWatch } from './jobs.js';
import type { Runtime } from './runtime.js';

/**
 * The timers' work, fanned out: each timer sends one message per account into a Storage queue, and a
 * queue-triggered function runs that one account's job. The host scales instances with the queue, so many
 * accounts spread over as many instances as they need, and each account's channel is held by one of them
 * (its blob lease). One account's job failing is that message's alone.
 */

/**
 * The watches' queue (functions/watchAccount.ts) and the other jobs' (functions/accountJob.ts): apart, so the
 * short jobs never wait behind an instance's held channels, nor a period's watches behind its sweeps.
 */
export const WATCH_QUEUE = 'gatekeeper-watch';
export const JOB_QUEUE = 'gatekeeper-jobs';

export const queueOf = (job: JobName): string => (job === 'watch' ? WATCH_QUEUE : JOB_QUEUE);

/** A watch cut short (a shutdown, a scale-in) with more than this left goes back to the queue for another instance. */
const HAND_BACK_MS = 15_000;

export const JOBS = ['watch', 'sweep', 'digest', 'purge'] as const;
export type JobName = (typeof JOBS)[number];

/** The timer each job comes from: the name its runs are recorded under (health). */
const JOB_NAMES: Record<JobName, string> = {
  watch: 'watchEvents',
  sweep: 'sweepLobbies',
  digest: 'digest',
  purge: 'purgeExpired',
};

const messageSchema = z
  .object({
    job: z.enum(JOBS),
    account: z.string().min(1).max(64),
    /** The watch: hold the channel until then (ISO), shortly before the next period's message. */
    until: z.iso.datetime().optional(),
  })
  .strict();

export type AccountJobMessage = z.infer<typeof messageSchema>;

/** One message per account the settings describe (accounts left out are logged by `accounts()`). */
export async function fanOut(
  runtimes: Pick<AccountRuntimes, 'accounts'>,
  job: JobName,
  extras: Pick<AccountJobMessage, 'until'> = {},
  queue?: JobQueue,
): Promise<number> {
  const target = queue ?? (await defaultQueue(queueOf(job)));
  const { accounts } = runtimes.accounts();
  // Every account's message, even when one send fails: that account's job waits for the next period.
  const sent = await Promise.allSettled(
    accounts.map((account) => target.send(JSON.stringify({ job, account: account.id, ...extras }))),
  );
  const failed = sent.filter((result) => result.status === 'rejected');
  // The timer's own run, on the job board (health) beside the jobs' runs, never overwriting one: a queue that
  // takes no message is the deployment's failure.
  jobBoard.record(`${JOB_NAMES[job]} (queue)`, failed.length === 0);
  if (failed.length > 0) {
    const [first] = failed as PromiseRejectedResult[];
    throw new Error(
      `Could not queue ${job} for ${failed.length} of ${accounts.length} accounts: ${errorMessage(first?.reason)}`,
    );
  }
  return accounts.length;
}

const queues = new Map<string, JobQueue>();

/** One client per queue and process, so its creation is asked for once, not at every tick. */
async function defaultQueue(name: string): Promise<JobQueue> {
  // The Queue SDK loads with the first timer run, never with an instance's first request.
  const { jobQueue } = await import('../store/job-queue.js');
  let queue = queues.get(name);
  if (!queue) {
    queue = jobQueue(storageTargetFromEnv(), name);
    queues.set(name, queue);
  }
  return queue;
}

/** What one message came to, for the host's log. */
export type JobOutcome =
  | {
      done: JobName;
      account: string;
      summary: string;
      /** A watch stopped by a shutdown with its period far from over: the message should be taken again. */
      cutShort?: true;
    }
  | { rejected: string }
  | { skipped: string };

/**
 * Run the job a message asks for. A message that cannot be read, or names an account no longer guarded, is
 * logged and dropped (retrying cannot help); a job that fails throws, so the host tries the message again.
 */
export async function runAccountJob(
  runtimes: Pick<AccountRuntimes, 'accounts' | 'runtimeOf'>,
  body: unknown,
  signal?: AbortSignal,
  now = Date.now(),
): Promise<JobOutcome> {
  const parsed = messageSchema.safeParse(typeof body === 'string' ? parseJson(body) : body);
  if (!parsed.success)
    return { rejected: `not a job message: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  const { job, account: id, until } = parsed.data;
  const account = runtimes.accounts().accounts.find((candidate) => candidate.id === id);
  if (!account) return { skipped: `account ${id} is not guarded (any more)` };
  const deadline = until ? Date.parse(until) : Number.NaN;
  // A message that waited past its period: the next period's holds the channel.
  if (job === 'watch' && !(deadline > now))
    return { skipped: `watch for ${id}: its period ended before it ran` };
  let rt: Runtime;
  try {
    rt = await runtimes.runtimeOf(account);
  } catch (error) {
    // No runtime, no outbox of its own to alert through: the health report and the host's log say it.
    jobBoard.record(JOB_NAMES[job], false, Date.now(), id);
    throw error;
  }
  switch (job) {
    case 'watch': {
      // The deadline is on the runtime's clock, the one the watch reads (measured after a cold build).
      const result = await runWatch(rt, rt.now().getTime() + (deadline - Date.now()), signal);
      const cutShort = result.outcome === 'aborted' && deadline - Date.now() > HAND_BACK_MS;
      return {
        done: job,
        account: id,
        summary: `${result.outcome}, ${result.batches} batches, ${result.events} events, ${result.recreated} re-created`,
        ...(cutShort ? { cutShort } : {}),
      };
    }
    case 'sweep': {
      const result = await runSweep(rt);
      return {
        done: job,
        account: id,
        summary: `${result.meetings} meetings, ${result.lobbyParticipants} in lobbies, ${result.joined} joined`,
      };
    }
    case 'digest': {
      const notice = await runDigest(rt);
      return { done: job, account: id, summary: notice ? 'posted' : 'quiet hour, nothing posted' };
    }
    case 'purge': {
      const result = await runRetention(rt);
      return {
        done: job,
        account: id,
        summary: `${result.notices} notices, ${result.claims} claims, ${result.auditRows} audit rows deleted`,
      };
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
