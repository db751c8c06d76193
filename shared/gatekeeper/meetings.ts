import { errorMessage } from '../lib/describe-error.js';
import type { UcwaClient } from '../ucwa/client.js';
import { UcwaError } from '../ucwa/errors.js';
import { hrefOf, linksOf } from '../ucwa/links.js';
import type { Conversation } from '../ucwa/schemas.js';
import type { Logger } from './logger.js';

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
