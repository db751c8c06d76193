import type { UcwaSchemaError } from './errors.js';
import { hrefOf, resolveHref } from './links.js';
import { readEvents } from './parse.js';
import type { EventsDocument, UcwaEvent } from './schemas.js';
import type { UcwaTransport } from './transport.js';

export interface EventChannelOptions {
  /** Seconds the server holds an empty P-GET (UCWA allows 180–1800; the default is 180). */
  timeoutSec?: number;
  /** Seconds to hold low and medium priority events before release (5–1800). */
  lowSec?: number;
  mediumSec?: number;
  /** Extra time the HTTP request may take beyond `timeoutSec` before it counts as lost. */
  marginMs?: number;
}

/** An event with absolute hrefs and the resource that sent it. */
export interface ChannelEvent extends UcwaEvent {
  sender: { rel: string; href: string };
}

export interface EventBatch {
  /** The URL this batch was read from. Re-reading it returns the same batch until `next` is requested. */
  cursor: string;
  /** Where the next P-GET goes. Persist it only after the batch has been handled: that is the acknowledgement. */
  next: string;
  /**
   * `next`: normal. `resume`: the server reset transient state after a silence — re-do makeMeAvailable and
   * rejoin meetings. `resync`: the cursor was out of range — drop caches of transient data; `next` leads to
   * the first unacknowledged batch and this batch has no events.
   */
  kind: 'next' | 'resume' | 'resync';
  events: ChannelEvent[];
  /** Events that failed the event schema: each is rejected alone, the rest of the batch is handled. */
  unreadable: UcwaSchemaError[];
  document: EventsDocument;
}

/**
 * The UCWA event channel (docs/ucwa-protocol.md §6): exactly one pending GET at a time, links followed as given
 * (`resync` over `resume` over `next`), the `ack` never edited. The next P-GET is sent only when the caller
 * asks for it — after it has handled the previous batch — so a crash re-reads the unhandled batch instead of
 * losing it (at-least-once; handlers de-duplicate with idempotency keys). A failed or aborted poll leaves the
 * cursor where it was, so the next poll repeats the same link and no event is lost.
 */
export class EventChannel {
  private current: string;
  private polling = false;

  constructor(
    private readonly transport: UcwaTransport,
    cursor: string,
    private readonly options: EventChannelOptions = {},
  ) {
    this.current = cursor;
  }

  get cursor(): string {
    return this.current;
  }

  /** One P-GET at the cursor. On success the cursor moves to the batch's `next`. */
  async poll(options: { abortSignal?: AbortSignal } = {}): Promise<EventBatch> {
    const signal = options.abortSignal;
    if (this.polling)
      throw new Error('EventChannel.poll: a P-GET is already pending; UCWA allows one per ack');
    this.polling = true;
    try {
      const url = this.withParameters(this.current);
      const timeoutSec = this.options.timeoutSec ?? 180;
      const response = await this.transport.request({
        method: 'GET',
        url,
        timeoutMs: timeoutSec * 1000 + (this.options.marginMs ?? 15_000),
        ...(signal ? { signal } : {}),
      });
      const { document, unreadable } = readEvents(response.body ?? { _links: {} });
      const batch = toBatch(this.current, url, document, unreadable);
      this.current = batch.next;
      return batch;
    } finally {
      this.polling = false;
    }
  }

  /** Aggregation parameters on every P-GET: the server forgets them after `resume` and a restored cursor lacks them. */
  private withParameters(cursor: string): string {
    const url = new URL(cursor);
    const { timeoutSec, lowSec, mediumSec } = this.options;
    if (timeoutSec !== undefined) url.searchParams.set('timeout', String(timeoutSec));
    if (lowSec !== undefined) url.searchParams.set('low', String(lowSec));
    if (mediumSec !== undefined) url.searchParams.set('medium', String(mediumSec));
    return url.toString();
  }
}

function toBatch(
  cursor: string,
  requestUrl: string,
  document: EventsDocument,
  unreadable: UcwaSchemaError[],
): EventBatch {
  const resync = hrefOf(document, 'resync');
  const resume = hrefOf(document, 'resume');
  const next = hrefOf(document, 'next');
  const kind = resync ? 'resync' : resume ? 'resume' : 'next';
  const link = resync ?? resume ?? next;
  if (!link) throw new Error('UCWA events response has no next, resume or resync link');
  const events = kind === 'resync' ? [] : channelEvents(document, requestUrl);
  return { cursor, next: resolveHref(link, requestUrl), kind, events, unreadable, document };
}

/** The events of a document in order, each with its sender and every href made absolute against `base`. */
export function channelEvents(document: EventsDocument, base: string): ChannelEvent[] {
  return document.sender.flatMap((sender) => {
    const senderRef = { rel: sender.rel, href: resolveHref(sender.href, base) };
    return sender.events.map((event) => ({
      ...event,
      link: { ...event.link, href: resolveHref(event.link.href, base) },
      ...(event.in ? { in: { ...event.in, href: resolveHref(event.in.href, base) } } : {}),
      sender: senderRef,
    }));
  });
}
