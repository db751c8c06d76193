/** Whether the gatekeeper acts, or only says what it would do. Declared once: the setting parses these. */
export const MODES = ['enforce', 'dry-run'] as const;
export type Mode = (typeof MODES)[number];

/** What came of one effect. The gatekeeper owns this; chat notices and audit rows carry it. */
export type OutcomeStatus = 'done' | 'would-do' | 'skipped' | 'failed' | 'already-left' | 'not-permitted';

/** How a 403 refusal reads in the audit and the notice; a stored claim tells it from "not a leader" by it. */
export const SERVER_REFUSED = 'refused by the server';

export interface ActionOutcome {
  status: OutcomeStatus;
  detail?: string;
}

const STATUSES: readonly string[] = [
  'done',
  'would-do',
  'skipped',
  'failed',
  'already-left',
  'not-permitted',
] satisfies OutcomeStatus[];

/** An outcome read back from storage; an unknown word (a newer release's) reads as `failed`, never as done. */
export function storedOutcome(status: string | undefined, detail?: string): ActionOutcome {
  const known = STATUSES.includes(status ?? '') ? (status as OutcomeStatus) : 'failed';
  return { status: known, ...(detail ? { detail } : {}) };
}
