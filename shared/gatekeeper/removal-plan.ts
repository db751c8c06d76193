import { type Decision, decide } from '../policy/decide.js';
import type { Policy } from '../policy/policy.js';
import type { Participant } from '../ucwa/schemas.js';
import type { ActionOutcome, Mode } from './outcome.js';
import { ALREADY_LEFT } from './removal-outcomes.js';
import { senderFacts } from './sender-facts.js';
import { isWhere, removalVerb, type Where } from './where.js';

/**
 * What removing a participant comes to before any request: an outcome without one, or the verb to send.
 * Pure, so the guard knows before it opens the claim whether the request goes out right after.
 */
export function planRemoval(
  deps: { policy: Policy; mode: Mode },
  participant: Participant | undefined,
  where: Where,
  /** The policy's decision about this very participant, when it was just made (not decided twice). */
  decided?: Decision,
): ActionOutcome | { verb: 'eject' | 'reject'; participant: Participant } {
  if (!participant) return ALREADY_LEFT;
  if (!isWhere(participant, where))
    return {
      status: 'skipped',
      detail:
        where === 'lobby'
          ? 'no longer waiting in the lobby (admitted, or never there)'
          : 'not in the meeting (waiting in the lobby)',
    };
  // The server's current view decides, not what an event said (the organizer may have admitted them).
  const current = decided ?? decide(deps.policy, { kind: where, participant: senderFacts(participant) });
  if (current.action !== 'eject')
    return { status: 'skipped', detail: `no longer to remove: ${current.reason}` };
  const verb = removalVerb(participant, where);
  if (!verb)
    return {
      status: 'not-permitted',
      detail: 'no eject or reject link: the account is not a leader of this meeting',
    };
  if (deps.mode === 'dry-run') return { status: 'would-do', detail: `would ${verb}` };
  return { verb, participant };
}
