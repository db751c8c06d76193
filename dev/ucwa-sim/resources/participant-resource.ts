import type { Conversation, Person } from '../model.js';
import { type Json, link, type RenderContext } from '../render-context.js';
import type { LobbyOperation } from '../types.js';

/**
 * Capability links a participant offers the account right now: admit/reject only while the participant
 * waits in the lobby, eject never on the organizer or the account itself, and all three only when the
 * account is a Leader of the meeting. A scenario may narrow the set further (`offer`).
 */
export function offeredOperations(conversation: Conversation, person: Person): LobbyOperation[] {
  const meeting = conversation.meeting;
  if (!meeting || person.local || person.where === 'gone' || !meeting.accountIsLeader) return [];
  const ops: LobbyOperation[] = [];
  if (person.where === 'lobby') ops.push('admit', 'reject');
  if (!person.isOrganizer) ops.push('eject');
  return person.offer ? ops.filter((op) => person.offer?.has(op)) : ops;
}

export function participantPath(r: RenderContext, conversation: Conversation, person: Person): string {
  return r.app.paths.participant(conversation.id, conversation.idOf(person));
}

/**
 * The participant schema (docs/ucwa-protocol.md §8). `rel` is `participant` for roster/lobby members and embedded senders,
 * `localParticipant` for the account's own entry, `from` for an invitation's from resource.
 */
export function renderParticipant(
  r: RenderContext,
  conversation: Conversation,
  person: Person,
  {
    rel = 'participant',
    selfPath,
  }: { rel?: 'participant' | 'localParticipant' | 'from'; selfPath?: string } = {},
): Json {
  const paths = r.app.paths;
  const id = conversation.idOf(person);
  const links: Json = { self: link(r.href(selfPath ?? paths.participant(conversation.id, id))) };
  if (rel !== 'from') {
    for (const op of offeredOperations(conversation, person)) {
      links[op] = link(r.href(paths.participantAction(conversation.id, id, op)));
    }
  }
  links.conversation = link(r.href(paths.conversation(conversation.id)));
  if (person.local) links.me = link(r.href(paths.me));
  if (conversation.messagingPeople.has(person)) {
    links.participantMessaging = link(r.href(paths.participantMessaging(conversation.id, id)));
  }
  return { rel, ...person.facts(), _links: links };
}

export function renderParticipantMessaging(
  r: RenderContext,
  conversation: Conversation,
  person: Person,
): Json {
  const paths = r.app.paths;
  const id = conversation.idOf(person);
  return {
    rel: 'participantMessaging',
    _links: {
      self: link(r.href(paths.participantMessaging(conversation.id, id))),
      participant: link(r.href(paths.participant(conversation.id, id)), person.name || undefined),
    },
  };
}
