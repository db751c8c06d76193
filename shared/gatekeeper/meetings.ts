import { errorMessage } from '../lib/describe-error.js';
import type { UcwaClient } from '../ucwa/client.js';
import { UcwaError } from '../ucwa/errors.js';
import { embeddedOf, hrefOf, linksOf } from '../ucwa/links.js';
import { parseAs } from '../ucwa/parse.js';
import type { Conversation, Participant, ParticipantCollection } from '../ucwa/schemas.js';
import type { Logger } from './logger.js';
import type { LobbiesNow } from './ports.js';

/** The meetings the application is in now, as read in one pass. */
export interface MeetingsRead {
  /** Conversations that have a lobby (online meetings), by resolved href. */
  meetings: { href: string; conversation: Conversation }[];
  /** Online meeting URIs (lower case) of the meetings the account is in. */
  joined: Set<string>;
  /** False when a read failed: absence then proves nothing, and nothing is joined on it. */
  complete: boolean;
}

/** Read the application's conversations and their online meetings, in batches. */
export async function readMeetings(
  ucwa: UcwaClient,
  conversationsHref: string | undefined,
): Promise<MeetingsRead> {
  let complete = true;
  const conversations = conversationsHref
    ? await ucwa.get('conversations', conversationsHref).catch((error: unknown) => {
        if (error instanceof UcwaError && error.action === 'target-gone') return undefined;
        throw error;
      })
    : undefined;
  const hrefs = linksOf(conversations, 'conversation').map((link) => ucwa.resolve(link.href));
  const meetings: MeetingsRead['meetings'] = [];
  for (const result of await ucwa.getMany('conversation', hrefs)) {
    if (!result.ok) complete &&= isGone(result.error);
    else if (hrefOf(result.resource, 'lobby'))
      meetings.push({ href: result.href, conversation: result.resource });
  }
  const onlineMeetings = meetings.flatMap(({ conversation }) => {
    const href = hrefOf(conversation, 'onlineMeeting');
    return href ? [ucwa.resolve(href)] : [];
  });
  const joined = new Set<string>();
  for (const result of await ucwa.getMany('onlineMeeting', onlineMeetings)) {
    if (!result.ok) complete &&= isGone(result.error);
    else if (result.resource.onlineMeetingUri) joined.add(result.resource.onlineMeetingUri.toLowerCase());
  }
  return { meetings, joined, complete };
}

/**
 * Join each watched meeting the account is shown not to be in. Never one it may still be in: joining a
 * meeting again replaces its conversation, and every participant href seen under the old one leads nowhere.
 */
export async function joinAbsentMeetings(
  deps: { ucwa: UcwaClient; log: Logger; watchedMeetings: readonly string[] },
  read: Pick<MeetingsRead, 'joined' | 'complete'>,
): Promise<number> {
  if (deps.watchedMeetings.length === 0) return 0;
  if (!read.complete) {
    deps.log.warn('Not joining watched meetings: the current ones could not all be read; next time');
    return 0;
  }
  let joined = 0;
  for (const uri of deps.watchedMeetings) {
    if (read.joined.has(uri.toLowerCase())) continue;
    try {
      await deps.ucwa.joinOnlineMeeting(uri);
      joined++;
    } catch (error) {
      deps.log.error('Could not join a watched meeting', { meeting: uri, error: errorMessage(error) });
    }
  }
  return joined;
}

function isGone(error: Error): boolean {
  return error instanceof UcwaError && error.action === 'target-gone';
}

/** A lobby embeds its participants, or only links them (docs/ucwa-protocol.md §10.2): read linked ones in one batch. */
export async function participantsOf(
  ucwa: UcwaClient,
  resource: ParticipantCollection,
): Promise<{ participants: Participant[]; error?: Error }> {
  const embedded = embeddedOf(resource, 'participant').map((raw) => parseAs('participant', raw));
  if (embedded.length > 0) return { participants: embedded };
  const hrefs = linksOf(resource, 'participant').map((link) => ucwa.resolve(link.href));
  const reads = await ucwa.getMany('participant', hrefs);
  const failed = reads.find(
    (read) => !read.ok && !(read.error instanceof UcwaError && read.error.action === 'target-gone'),
  );
  return {
    participants: reads.flatMap((read) => (read.ok ? [read.resource] : [])),
    ...(failed && !failed.ok ? { error: failed.error } : {}),
  };
}

/**
 * Everyone waiting in the lobbies of the current application's meetings, or undefined while that is not
 * known for certain: a read failed, or a watched meeting is not joined (yet) under it.
 */
export async function waitingGuests(
  ucwa: UcwaClient,
  watchedMeetings: readonly string[],
): Promise<LobbiesNow | undefined> {
  const app = ucwa.currentApplication;
  if (!app) return undefined;
  const read = await readMeetings(ucwa, hrefOf(app.communication, 'conversations'));
  if (!read.complete || watchedMeetings.some((uri) => !read.joined.has(uri.toLowerCase()))) return undefined;
  const lobbies = await ucwa.getMany(
    'lobby',
    read.meetings.map(({ conversation }) => ucwa.resolve(hrefOf(conversation, 'lobby') ?? '')),
  );
  const waiting: Participant[] = [];
  for (const lobby of lobbies) {
    if (!lobby.ok) return undefined;
    const { participants, error } = await participantsOf(ucwa, lobby.resource);
    if (error) return undefined;
    waiting.push(...participants.filter((participant) => participant.inLobby !== false));
  }
  return { waiting, meetings: read.meetings.map(({ href }) => href) };
}
