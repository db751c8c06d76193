import { domainOfUri } from '../policy/decide.js';
import type { SenderFacts } from '../policy/facts.js';
import { embeddedOf } from '../ucwa/links.js';
import { parseAs } from '../ucwa/parse.js';
import type { Invitation, Participant } from '../ucwa/schemas.js';

/** The facts the policy and the chat summary use, from a participant resource (docs/ucwa-protocol.md §8). */
export function senderFacts(participant: Participant): SenderFacts {
  const facts: SenderFacts = {};
  const copy = <K extends keyof SenderFacts & keyof Participant>(key: K) => {
    const value = participant[key];
    if (value !== undefined) (facts as Record<string, unknown>)[key] = value;
  };
  for (const key of [
    'name',
    'uri',
    'anonymous',
    'inLobby',
    'local',
    'organizer',
    'role',
    'sourceNetwork',
    'workPhoneNumber',
    'otherPhoneNumber',
  ] as const) {
    copy(key);
  }
  const domain = domainOfUri(participant.uri);
  if (domain) facts.domain = domain;
  facts.links = Object.keys(participant._links ?? {}).filter((rel) => rel !== 'self');
  return facts;
}

/** The sender embedded in the invitation (`_embedded.from`), when the server embedded it. */
export function embeddedSender(invitation: Invitation): Participant | undefined {
  const from = embeddedOf(invitation, 'from')[0];
  return from === undefined ? undefined : parseAs('participant', from);
}
