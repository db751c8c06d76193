import { UcwaApplicationClient } from './application-client.js';
import { partError } from './batching.js';
import type { OperationOptions } from './client-options.js';
import { encodeDataUri } from './data-uri.js';
import { LinkNotOfferedError, UcwaError } from './errors.js';
import { hrefOf, originOf, resolveHref } from './links.js';
import { isOwnOperationId, newOperationId, OwnInvitations } from './own-operations.js';
import type { UcwaResource } from './schemas.js';
import { checkScopes } from './scopes.js';

export type { ApplicationHandle } from './application.js';
export type { BatchGetResult, OperationOptions, UcwaClientOptions } from './application-client.js';

export type RemovalResult = { ok: true } | { ok: false; error: UcwaError };

/** joinOnlineMeeting and startMessaging: `operationId` matches their events and de-duplicates a retry. */
export type StartOptions = OperationOptions & { operationId?: string; subject?: string };

/**
 * The UCWA 2.0 client: the base's discovery, application lifecycle, channel, resources and batches, and the
 * operations the gatekeeper performs — each only when its capability link is on the current representation.
 */
export class UcwaClient extends UcwaApplicationClient {
  private readonly ownInvitations = new OwnInvitations();
  /** startMessaging/joinOnlineMeeting POSTs still waiting for their 201: their events may come first. */
  private readonly startingOperations = new Set<Promise<unknown>>();

  /** Accept an incoming invitation (204). Use the href from the `started` event: it may vanish from later updates. */
  async accept(invitation: UcwaResource, options: OperationOptions = {}): Promise<void> {
    await this.postLink(invitation, 'accept', undefined, options);
  }

  /** Decline an incoming invitation; `Local` (the default) declines on this endpoint only. */
  async decline(
    invitation: UcwaResource,
    options: OperationOptions & { reason?: 'Local' | 'Global' } = {},
  ): Promise<void> {
    await this.postLink(invitation, 'decline', { reason: options.reason ?? 'Local' }, options);
  }

  /** Remove a participant from the meeting (204). */
  async eject(participant: UcwaResource, options: OperationOptions = {}): Promise<void> {
    await this.postLink(participant, 'eject', undefined, options);
  }

  /**
   * eject/reject several participants in one round trip (a batch; a single one is a plain POST). Each result
   * says whether that removal ran; a throttled batch is split and retried (nothing ran), while a failure of
   * the whole request is thrown, since any part may or may not have run.
   */
  async removeParticipants(
    removals: readonly { participant: UcwaResource; verb: 'eject' | 'reject' }[],
    options: OperationOptions = {},
  ): Promise<RemovalResult[]> {
    const urls = removals.map(({ participant, verb }) => {
      const href = hrefOf(participant, verb);
      if (!href) throw new LinkNotOfferedError(verb, hrefOf(participant, 'self'));
      return this.resolve(href);
    });
    if (removals.length === 1) {
      const [{ participant, verb }] = removals as [{ participant: UcwaResource; verb: 'eject' | 'reject' }];
      try {
        await this.postLink(participant, verb, undefined, options);
        return [{ ok: true }];
      } catch (error) {
        if (error instanceof UcwaError) return [{ ok: false, error }];
        throw error;
      }
    }
    for (const url of urls) {
      const scopes = this.transport.grantedScopes(originOf(url));
      if (scopes) for (const { verb } of removals) checkScopes(verb, scopes);
    }
    const parts = await this.batch(
      urls.map((url) => ({ method: 'POST' as const, url })),
      options,
    );
    return parts.map((part, index) =>
      part.status < 300 ? { ok: true } : { ok: false, error: partError(part, 'POST', urls[index] ?? '') },
    );
  }

  /** Refuse a lobby participant entry (204). */
  async reject(participant: UcwaResource, options: OperationOptions = {}): Promise<void> {
    await this.postLink(participant, 'reject', undefined, options);
  }

  async admit(participant: UcwaResource, options: OperationOptions = {}): Promise<void> {
    await this.postLink(participant, 'admit', undefined, options);
  }

  /** Join an online meeting; events report the outcome (matched by `operationId`). Returns the invitation href. */
  async joinOnlineMeeting(
    onlineMeetingUri: string,
    options: StartOptions = {},
  ): Promise<{ invitationHref: string | undefined; operationId: string }> {
    return this.startOperation('joinOnlineMeeting', { onlineMeetingUri }, options);
  }

  /** Send an instant message in a connected conversation (201 + Location). `operationId` de-duplicates retries. */
  async sendMessage(
    messaging: UcwaResource,
    text: string,
    options: OperationOptions & { operationId?: string; html?: boolean } = {},
  ): Promise<{ messageHref: string | undefined; operationId: string }> {
    const href = hrefOf(messaging, 'sendMessage');
    if (!href) throw new LinkNotOfferedError('sendMessage', hrefOf(messaging, 'self'));
    const operationId = options.operationId ?? newOperationId();
    const url = new URL(this.resolve(href));
    url.searchParams.set('operationId', operationId);
    const response = await this.transport.request({
      method: 'POST',
      url: url.toString(),
      body: text,
      contentType: options.html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
      resource: 'sendMessage',
      signal: options.abortSignal,
    });
    const location = response.headers.get('location');
    return { messageHref: location ? resolveHref(location, response.url) : undefined, operationId };
  }

  /**
   * Start an IM conversation with `to`, the message attached to the invitation (docs/ucwa-protocol.md §9: `_links.message`
   * in the startMessaging input), so no connected conversation is needed. Returns the invitation href.
   */
  async startMessaging(
    to: string,
    text: string,
    options: StartOptions = {},
  ): Promise<{ invitationHref: string | undefined; operationId: string }> {
    return this.startOperation(
      'startMessaging',
      { to, _links: { message: { href: encodeDataUri(text) } } },
      options,
    );
  }

  /**
   * POST one of communication's operation factories (joinOnlineMeeting, startMessaging): 201 + Location of the
   * invitation; events report the outcome, matched by `operationId` (docs/ucwa-protocol.md §12).
   */
  private async startOperation(
    rel: 'joinOnlineMeeting' | 'startMessaging',
    input: Record<string, unknown>,
    options: StartOptions,
  ): Promise<{ invitationHref: string | undefined; operationId: string }> {
    const app = await this.application(options);
    const operationId = options.operationId ?? newOperationId();
    const body = {
      ...input,
      operationId,
      importance: 'Normal',
      ...(options.subject ? { subject: options.subject } : {}),
    };
    const posted = this.postLink(app.communication, rel, body, options);
    this.startingOperations.add(posted);
    const response = await posted.finally(() => this.startingOperations.delete(posted));
    const location = response.headers.get('location');
    const invitationHref = location ? resolveHref(location, response.url) : undefined;
    if (invitationHref) this.ownInvitations.add(invitationHref);
    return { invitationHref, operationId };
  }

  /**
   * Whether an invitation is one this client started: by its href, or by the operation id it carries. Waits
   * for operations still being started, whose events may arrive before their 201 (OperationResource.md).
   */
  async isOwnInvitation(href: string, operationId?: string): Promise<boolean> {
    if (isOwnOperationId(operationId)) return true;
    await Promise.allSettled(this.startingOperations);
    return this.ownInvitations.has(this.resolve(href));
  }
}
