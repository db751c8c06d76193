import type { ChannelEvent } from '../ucwa/event-channel.js';
import { orUndefined, parseAs } from '../ucwa/parse.js';
import { INVITATION_RELS, type Invitation, type InvitationRel, type Participant } from '../ucwa/schemas.js';

/** What an event means to the gatekeeper. Pure: reads only the event. */
export type EventMeaning =
  | { kind: 'invitation'; rel: InvitationRel; href: string; embedded: Invitation | undefined }
  | {
      kind: 'lobby';
      /** `lobby`: waiting in the lobby; `roster`: joined the meeting (`added` in attendees or participants). */
      where: 'lobby' | 'roster';
      change: 'added' | 'updated';
      participantHref: string;
      conversationHref: string;
      embedded: Participant | undefined;
    }
  | { kind: 'lobby-left'; participantHref: string; conversationHref: string }
  | { kind: 'ignored' };

function isInvitationRel(rel: string): rel is InvitationRel {
  return (INVITATION_RELS as readonly string[]).includes(rel);
}

/**
 * Incoming invitations are `started` events from `communication`; lobby arrivals are participant `added` or
 * `updated` events `in` a lobby; roster arrivals participant `added` events `in` attendees or participants
 * (docs/ucwa-protocol.md §10.2). Only these events' embedded resources are parsed; one that does not parse
 * counts as not embedded, so the resource is read from its link (and rejected alone if that fails too).
 */
export function meaningOf(event: ChannelEvent): EventMeaning {
  const { link } = event;
  const rel = link.rel;
  if (event.sender.rel === 'communication' && event.type === 'started' && isInvitationRel(rel)) {
    const raw = event._embedded?.[rel];
    const embedded = raw === undefined ? undefined : orUndefined(() => parseAs(rel, raw));
    if (embedded?.direction && embedded.direction !== 'Incoming') return { kind: 'ignored' };
    return { kind: 'invitation', rel, href: link.href, embedded };
  }
  if (link.rel === 'participant' && event.in?.rel === 'lobby') {
    if (event.type === 'deleted') {
      return { kind: 'lobby-left', participantHref: link.href, conversationHref: event.sender.href };
    }
    const change = event.type === 'added' ? 'added' : event.type === 'updated' ? 'updated' : undefined;
    if (change) {
      return participantMeaning(event, 'lobby', change);
    }
  }
  const collection = event.in?.rel;
  if (link.rel === 'participant' && event.type === 'added' && ROSTER.has(collection ?? '')) {
    return participantMeaning(event, 'roster', 'added');
  }
  return { kind: 'ignored' };
}

/** The roster views a joining participant is reported in; `leaders` is left out: a leader was made one. */
const ROSTER = new Set(['attendees', 'participants']);

function participantMeaning(
  event: ChannelEvent,
  where: 'lobby' | 'roster',
  change: 'added' | 'updated',
): EventMeaning {
  const raw = event._embedded?.participant;
  return {
    kind: 'lobby',
    where,
    change,
    participantHref: event.link.href,
    conversationHref: event.sender.href,
    embedded: raw === undefined ? undefined : orUndefined(() => parseAs('participant', raw)),
  };
}
