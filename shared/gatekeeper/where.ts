import type { RemovalResult } from '../ucwa/client.js';
import { hrefOf } from '../ucwa/links.js';
import type { Participant } from '../ucwa/schemas.js';
import type { ClaimReport } from './conclude.js';
import type { ClaimStore } from './ports.js';

/** One eject or reject, as the client batches them. */
export type Removal = { participant: Participant; verb: 'eject' | 'reject' };
export type Remove = (removal: Removal) => Promise<RemovalResult>;

/** A participant as one event or the sweep showed them: what `guard` decides about. */
export interface Sighting {
  participant: Participant;
  participantHref: string;
  conversationHref: string;
  /** When the event that showed them arrived: the removal's latency is measured from here. */
  receivedAt: number;
  /** How a removal is sent; default one request of its own (the event batch passes its shared batch). */
  remove?: Remove;
  /** How the claim is opened; default on its own (the event batch opens its guests' claims together). */
  openClaim?: ClaimStore['open'];
  /** Default the lobby. */
  where?: Where;
}

/** Where the participant is: waiting in the lobby, or in the meeting (an `on: "roster"` rule). */
export type Where = 'lobby' | 'roster';

/**
 * Only the participant's own `inLobby` counts: `true` for the lobby (a resource that does not say so is never
 * removed from a lobby), `false` for the meeting.
 */
export function isWhere(participant: Participant, where: Where): boolean {
  return where === 'lobby' ? participant.inLobby === true : participant.inLobby === false;
}

export function whereOf(report: ClaimReport): Where {
  return report.subject === 'roster' ? 'roster' : 'lobby';
}

/**
 * reject_ref.md: reject denies a lobby participant access; eject_ref.md: eject removes a participant from the
 * meeting (docs/ucwa-protocol.md §10.3). In the lobby, eject only when reject is not offered.
 */
export function removalVerb(participant: Participant, where: Where): 'eject' | 'reject' | undefined {
  if (where === 'lobby' && hrefOf(participant, 'reject')) return 'reject';
  return hrefOf(participant, 'eject') ? 'eject' : undefined;
}
