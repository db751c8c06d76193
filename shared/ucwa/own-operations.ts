import { randomUUID } from 'node:crypto';

/**
 * The operations this client starts (startMessaging, joinOnlineMeeting) come back on the event channel as
 * invitations, just like incoming ones (docs/ucwa-protocol.md §7.2). They are recognised by their href (the
 * 201 Location, when it arrived before the event) or by the prefix every operation id of ours carries, which
 * holds across processes.
 */
export const OPERATION_ID_PREFIX = 'ucwagk-';

/** A new operation id: the prefix and a UUID without dashes, 39 characters (UCWA allows 50). */
export function newOperationId(): string {
  return `${OPERATION_ID_PREFIX}${randomUUID().replaceAll('-', '')}`;
}

export function isOwnOperationId(operationId: string | undefined): boolean {
  return operationId?.startsWith(OPERATION_ID_PREFIX) ?? false;
}

/** Hrefs of invitations this process started, the most recent ones only. */
export class OwnInvitations {
  private readonly hrefs = new Set<string>();

  constructor(private readonly limit = 1_000) {}

  add(href: string): void {
    this.hrefs.add(href);
    if (this.hrefs.size > this.limit) this.hrefs.delete(this.hrefs.values().next().value as string);
  }

  has(href: string): boolean {
    return this.hrefs.has(href);
  }
}
