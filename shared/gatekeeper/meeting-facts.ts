import type { MeetingFacts } from '../chat/notice.js';
import { hrefOf } from '../ucwa/links.js';
import type { Conversation, OnlineMeeting } from '../ucwa/schemas.js';
import type { GatekeeperUcwa } from './ports.js';

/**
 * What a lobby notice says about the meeting: its subject and organizer as the server reports them, instead
 * of the conversation's href, which means nothing to a reader. UCWA reports no scheduled start time.
 */

/** The reader-facing facts of a meeting; undefined when the server said nothing useful. */
export function meetingFactsOf(
  conversation: Conversation | undefined,
  meeting: OnlineMeeting | undefined,
): MeetingFacts | undefined {
  const facts: MeetingFacts = {};
  const subject = meeting?.subject || conversation?.subject;
  if (subject) facts.subject = subject;
  if (meeting?.organizerName) facts.organizerName = meeting.organizerName;
  if (meeting?.organizerUri) facts.organizerUri = meeting.organizerUri;
  if (meeting?.onlineMeetingUri) facts.uri = meeting.onlineMeetingUri;
  return Object.keys(facts).length > 0 ? facts : undefined;
}

/** How long the facts of a meeting are reused: a burst of guests knocks at one meeting. */
export const MEETING_FACTS_TTL_MS = 10 * 60_000;
const MAX_MEETINGS = 64;

/**
 * Reads meeting facts by conversation href, once per meeting and TTL (concurrent readers share one read).
 * Facts are description only: any failure reads as undefined and is not remembered, and nothing waits on
 * them but the notice.
 */
export class MeetingFactsReader {
  readonly #cache = new Map<string, { at: number; facts: Promise<MeetingFacts | undefined> }>();

  constructor(
    private readonly ucwa: Pick<GatekeeperUcwa, 'get' | 'resolve'>,
    private readonly now: () => number = Date.now,
  ) {}

  read(conversationHref: string): Promise<MeetingFacts | undefined> {
    const key = this.ucwa.resolve(conversationHref);
    const cached = this.#cache.get(key);
    if (cached && this.now() - cached.at < MEETING_FACTS_TTL_MS) return cached.facts;
    const entry = { at: this.now(), facts: Promise.resolve<MeetingFacts | undefined>(undefined) };
    entry.facts = this.#fetch(key).catch(() => {
      if (this.#cache.get(key) === entry) this.#cache.delete(key);
      return undefined;
    });
    this.#cache.delete(key);
    this.#cache.set(key, entry);
    // Oldest first in insertion order: drop the oldest beyond the bound.
    for (const old of this.#cache.keys()) {
      if (this.#cache.size <= MAX_MEETINGS) break;
      this.#cache.delete(old);
    }
    return entry.facts;
  }

  async #fetch(href: string): Promise<MeetingFacts | undefined> {
    const conversation = await this.ucwa.get('conversation', href);
    const meetingHref = hrefOf(conversation, 'onlineMeeting');
    const meeting = meetingHref ? await this.ucwa.get('onlineMeeting', meetingHref) : undefined;
    return meetingFactsOf(conversation, meeting);
  }
}
