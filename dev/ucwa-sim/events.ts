import type { UcwaErrorBody } from './errors.js';

/** One entry of `sender[].events[]` (docs/ucwa-protocol.md §6.2). Hrefs are already rendered in the event style. */
export interface EventJson {
  link: { rel: string; href: string; title?: string };
  in?: { rel: string; href: string };
  type: 'added' | 'updated' | 'deleted' | 'started' | 'completed';
  _embedded?: Record<string, unknown>;
  status?: string;
  reason?: UcwaErrorBody;
}

export interface SenderJson {
  rel: string;
  href: string;
  events: EventJson[];
}

export type Priority = 'High' | 'Medium' | 'Low';

export interface QueuedEvent {
  sender: { rel: string; href: string };
  event: EventJson;
  priority: Priority;
  at: number;
}

/** Consecutive events of one sender share a group; a sender repeats when that keeps the global order. */
export function groupBySender(events: readonly QueuedEvent[]): SenderJson[] {
  const groups: SenderJson[] = [];
  for (const queued of events) {
    const last = groups[groups.length - 1];
    if (last && last.rel === queued.sender.rel && last.href === queued.sender.href)
      last.events.push(queued.event);
    else groups.push({ rel: queued.sender.rel, href: queued.sender.href, events: [queued.event] });
  }
  return groups;
}
