import { type BatchRequestPart, type BatchResponsePart, buildBatch, parseBatch } from './batch.js';
import { encodeDataUri } from './data-uri.js';
import { type Discovery, discover } from './discovery.js';
import {
  LinkNotOfferedError,
  needsRediscovery,
  OriginNotAllowedError,
  UcwaAuthError,
  UcwaError,
  UcwaSchemaError,
  UcwaTransportError,
} from './errors.js';
import { EventChannel, type EventChannelOptions } from './event-channel.js';
import { embeddedOf, hrefOf, originOf, resolveHref } from './links.js';
import { OriginPolicy } from './origin-policy.js';
import { isOwnOperationId, newOperationId, OwnInvitations } from './own-operations.js';
import { type KnownRel, parseAs, type ResourceOf } from './parse.js';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy, sleep } from './retry.js';
import type { Application, Communication, Me, UcwaResource } from './schemas.js';
import { checkScopes } from './scopes.js';
import type { TokenSource } from './token-source.js';
import { type RoundTrip, UcwaTransport } from './transport.js';

export interface UcwaClientOptions {
  discoveryUrl: string;
  tokens: TokenSource;
  /** Explicit allow-list; by default the discovery origin and its domain (see OriginPolicy). */
  allowedOrigins?: readonly string[];
  application: { userAgent: string; endpointId: string; culture?: string; instanceId?: string };
  /** makeMeAvailable body; without makeMeAvailable the account receives no invitations. */
  availability?: { signInAs?: string; supportedModalities?: string[]; supportedMessageFormats?: string[] };
  eventChannel?: EventChannelOptions;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** Parts per batch POST; UCWA allows about 100 outstanding requests per user, so 50 leaves room. */
  maxBatchParts?: number;
  onRoundTrip?: (info: RoundTrip) => void;
  random?: () => number;
}

/** The live application: its href is the root of every other href, until the server drops it. */
export interface ApplicationHandle {
  href: string;
  resource: Application;
  me: Me | undefined;
  communication: Communication | undefined;
  eventsHref: string;
  batchHref: string | undefined;
  /** `created`: a new application (meetings must be (re)joined); `attached`: a stored one still alive. */
  origin: 'created' | 'attached';
}

export type RemovalResult = { ok: true } | { ok: false; error: UcwaError };

export type BatchGetResult<R> =
  | { href: string; ok: true; resource: R }
  | { href: string; ok: false; error: UcwaError | UcwaSchemaError };

const INTERMITTENT_401_ATTEMPTS = 3;

/**
 * The UCWA 2.0 client: discovery, the application's lifecycle, the event channel, resources, batches and the
 * operations the gatekeeper performs. It follows links only — never builds a UCWA URL by hand.
 */
export class UcwaClient {
  readonly transport: UcwaTransport;
  private readonly origins: OriginPolicy;
  private readonly retry: RetryPolicy;
  private discovery: Discovery | undefined;
  private app: ApplicationHandle | undefined;
  private readonly ownInvitations = new OwnInvitations();
  /** Applications whose `me` was read again after makeMeAvailable. */
  private readonly meReread = new WeakSet<ApplicationHandle>();
  /** startMessaging/joinOnlineMeeting POSTs still waiting for their 201: their events may come first. */
  private readonly startingOperations = new Set<Promise<unknown>>();

  constructor(private readonly options: UcwaClientOptions) {
    this.origins = new OriginPolicy({
      discoveryUrl: options.discoveryUrl,
      ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    });
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.transport = new UcwaTransport({
      tokens: options.tokens,
      origins: this.origins,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.onRoundTrip ? { onRoundTrip: options.onRoundTrip } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
  }

  /** Cached discovery; `force` drops the cache (after 403, 502 or connection failures: docs/ucwa-protocol.md §2.3). */
  async discover(force = false, signal?: AbortSignal): Promise<Discovery> {
    if (!this.discovery || force)
      this.discovery = await discover(this.transport, this.options.discoveryUrl, signal);
    return this.discovery;
  }

  /** Drop the cached discovery: the next application is created on whatever pool discovery names now. */
  forgetDiscovery(): void {
    this.discovery = undefined;
  }

  /**
   * After a 403, 502 or connection failure at the application level (docs/ucwa-protocol.md §2.3): discover
   * again, then keep the current application if its pool is still the one discovery names and it answers,
   * else create one on the pool discovery names now.
   */
  async rediscover(signal?: AbortSignal): Promise<ApplicationHandle> {
    const { applicationsUrl } = await this.discover(true, signal);
    const href = this.app?.href;
    if (href && originOf(href) === originOf(applicationsUrl)) return this.attachApplication(href, signal);
    return this.recreateApplication(signal);
  }

  /** The current application, created on first use. */
  async application(signal?: AbortSignal): Promise<ApplicationHandle> {
    this.app ??= await this.createApplication(signal);
    return this.app;
  }

  get currentApplication(): ApplicationHandle | undefined {
    return this.app;
  }

  /**
   * Re-attach to an application created by an earlier run (its href was persisted); a new one is created
   * when it is gone (404 ApplicationNotFound / 410 InactiveApplicationExpired), and after discovery is run
   * again when its pool no longer serves it (403, 502, a connection failure: a pool failover). Check `origin`.
   */
  async attachApplication(href: string, signal?: AbortSignal): Promise<ApplicationHandle> {
    try {
      const response = await this.transport.request({
        method: 'GET',
        url: href,
        resource: 'application',
        signal,
      });
      this.app = this.toHandle(href, parseAs('application', response.body), 'attached');
      await this.makeMeAvailable(signal);
      return this.app;
    } catch (error) {
      if (error instanceof UcwaError && (error.applicationGone || error.status === 404)) {
        return this.recreateApplication(signal);
      }
      if (needsRediscovery(error)) {
        this.forgetDiscovery();
        return this.recreateApplication(signal);
      }
      throw error;
    }
  }

  /** The application at `href`: the one this client already holds, or re-attached (one GET and makeMeAvailable). */
  async useApplication(href: string, signal?: AbortSignal): Promise<ApplicationHandle> {
    if (this.app?.href === href) return this.app;
    return this.attachApplication(href, signal);
  }

  /** Drop the current application and create a new one; callers rejoin meetings and restart the event channel. */
  async recreateApplication(signal?: AbortSignal): Promise<ApplicationHandle> {
    this.app = undefined;
    return this.application(signal);
  }

  /** An event channel at `cursor` (a persisted `next`), or at the start of the current application's. */
  async eventChannel(cursor?: string): Promise<EventChannel> {
    const start = cursor ?? (await this.application()).eventsHref;
    return new EventChannel(this.transport, start, this.options.eventChannel);
  }

  /** GET a resource and parse it as `rel`. Relative hrefs resolve against the application. */
  async get<K extends Exclude<KnownRel, 'events'>>(
    rel: K,
    href: string,
    signal?: AbortSignal,
  ): Promise<ResourceOf<K>> {
    const response = await this.transport.request({
      method: 'GET',
      url: this.resolve(href),
      resource: rel,
      signal,
    });
    return parseAs(rel, response.body);
  }

  /** GET many resources of one kind in as few round trips as batching allows; per-href results in order. */
  async getMany<K extends Exclude<KnownRel, 'events'>>(
    rel: K,
    hrefs: readonly string[],
    signal?: AbortSignal,
  ): Promise<BatchGetResult<ResourceOf<K>>[]> {
    const urls = hrefs.map((href) => this.resolve(href));
    if (urls.length === 1) {
      // One resource: a plain GET is the same round trip without the multipart envelope.
      const href = urls[0] ?? '';
      try {
        return [{ href, ok: true, resource: await this.get(rel, href, signal) }];
      } catch (error) {
        if (error instanceof UcwaError || error instanceof UcwaSchemaError)
          return [{ href, ok: false, error }];
        throw error;
      }
    }
    const parts = await this.batch(
      urls.map((url) => ({ method: 'GET' as const, url })),
      signal,
    );
    return parts.map((part, index) => {
      const href = urls[index] ?? '';
      if (part.status >= 400) return { href, ok: false, error: partError(part, 'GET', href) };
      // One odd resource fails its own part, not the batch.
      try {
        return { href, ok: true, resource: parseAs(rel, part.body) };
      } catch (error) {
        if (error instanceof UcwaSchemaError) return { href, ok: false, error };
        throw error;
      }
    });
  }

  /**
   * Run requests in `multipart/batching` POSTs (docs/ucwa-protocol.md §11). A 429 means nothing ran: the batch is split and
   * retried after the server's Retry-After. Parts may execute in any order, so never batch dependent requests.
   */
  async batch(parts: readonly BatchRequestPart[], signal?: AbortSignal): Promise<BatchResponsePart[]> {
    if (parts.length === 0) return [];
    const app = await this.application(signal);
    if (!app.batchHref) throw new LinkNotOfferedError('batch', app.href);
    const batchHref = app.batchHref;
    const batchOrigin = originOf(batchHref);
    for (const part of parts) {
      if (originOf(part.url) !== batchOrigin) {
        throw new OriginNotAllowedError(
          originOf(part.url),
          'a batch may only carry requests for its own origin',
        );
      }
    }
    const size = this.options.maxBatchParts ?? 50;
    const results: BatchResponsePart[] = [];
    for (let at = 0; at < parts.length; at += size) {
      results.push(...(await this.postBatch(batchHref, parts.slice(at, at + size), 0, signal)));
    }
    return results;
  }

  private async postBatch(
    href: string,
    parts: readonly BatchRequestPart[],
    depth: number,
    signal?: AbortSignal,
  ): Promise<BatchResponsePart[]> {
    const { contentType, body } = buildBatch(parts);
    try {
      const response = await this.transport.request({
        method: 'POST',
        url: href,
        body,
        contentType,
        accept: 'multipart/batching',
        resource: 'batch',
        retry: false,
        idempotent: parts.every((part) => part.method === 'GET'),
        signal,
      });
      const parsed = parseBatch(response.headers.get('content-type') ?? '', response.text);
      if (parsed.length !== parts.length) {
        throw new UcwaTransportError(
          'POST',
          href,
          `batch answered ${parsed.length} parts for ${parts.length}`,
          1,
        );
      }
      return parsed;
    } catch (error) {
      if (!(error instanceof UcwaError) || error.status !== 429 || depth >= this.retry.maxAttempts + 4)
        throw error;
      if (error.retryAfterMs !== undefined && error.retryAfterMs > this.retry.maxRetryAfterMs) throw error;
      await sleep(error.retryAfterMs ?? backoffDelay(this.retry, depth, this.options.random), signal);
      if (parts.length === 1) return this.postBatch(href, parts, depth + 1, signal);
      const half = Math.ceil(parts.length / 2);
      const first = await this.postBatch(href, parts.slice(0, half), depth + 1, signal);
      const second = await this.postBatch(href, parts.slice(half), depth + 1, signal);
      return [...first, ...second];
    }
  }

  // --- operations: each needs its capability link on the current representation -------------------------

  /** Accept an incoming invitation (204). Use the href from the `started` event: it may vanish from later updates. */
  async accept(invitation: UcwaResource, signal?: AbortSignal): Promise<void> {
    await this.postLink(invitation, 'accept', undefined, signal);
  }

  /** Decline an incoming invitation; `Local` declines on this endpoint only. */
  async decline(
    invitation: UcwaResource,
    reason: 'Local' | 'Global' = 'Local',
    signal?: AbortSignal,
  ): Promise<void> {
    await this.postLink(invitation, 'decline', { reason }, signal);
  }

  /** Remove a participant from the meeting (204). */
  async eject(participant: UcwaResource, signal?: AbortSignal): Promise<void> {
    await this.postLink(participant, 'eject', undefined, signal);
  }

  /**
   * eject/reject several participants in one round trip (a batch; a single one is a plain POST). Each result
   * says whether that removal ran; a throttled batch is split and retried (nothing ran), while a failure of
   * the whole request is thrown, since any part may or may not have run.
   */
  async removeParticipants(
    removals: readonly { participant: UcwaResource; verb: 'eject' | 'reject' }[],
    signal?: AbortSignal,
  ): Promise<RemovalResult[]> {
    const urls = removals.map(({ participant, verb }) => {
      const href = hrefOf(participant, verb);
      if (!href) throw new LinkNotOfferedError(verb, hrefOf(participant, 'self'));
      return this.resolve(href);
    });
    if (removals.length === 1) {
      const [{ participant, verb }] = removals as [{ participant: UcwaResource; verb: 'eject' | 'reject' }];
      try {
        await this.postLink(participant, verb, undefined, signal);
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
      signal,
    );
    return parts.map((part, index) =>
      part.status < 300 ? { ok: true } : { ok: false, error: partError(part, 'POST', urls[index] ?? '') },
    );
  }

  /** Refuse a lobby participant entry (204). */
  async reject(participant: UcwaResource, signal?: AbortSignal): Promise<void> {
    await this.postLink(participant, 'reject', undefined, signal);
  }

  async admit(participant: UcwaResource, signal?: AbortSignal): Promise<void> {
    await this.postLink(participant, 'admit', undefined, signal);
  }

  /** Join an online meeting; events report the outcome (matched by `operationId`). Returns the invitation href. */
  async joinOnlineMeeting(
    onlineMeetingUri: string,
    options: { operationId?: string; subject?: string } = {},
    signal?: AbortSignal,
  ): Promise<{ invitationHref: string | undefined; operationId: string }> {
    return this.startOperation('joinOnlineMeeting', { onlineMeetingUri }, options, signal);
  }

  /** Send an instant message in a connected conversation (201 + Location). `operationId` de-duplicates retries. */
  async sendMessage(
    messaging: UcwaResource,
    text: string,
    options: { operationId?: string; html?: boolean } = {},
    signal?: AbortSignal,
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
      signal,
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
    options: { subject?: string; operationId?: string } = {},
    signal?: AbortSignal,
  ): Promise<{ invitationHref: string | undefined; operationId: string }> {
    return this.startOperation(
      'startMessaging',
      { to, _links: { message: { href: encodeDataUri(text) } } },
      options,
      signal,
    );
  }

  /**
   * POST one of communication's operation factories (joinOnlineMeeting, startMessaging): 201 + Location of the
   * invitation; events report the outcome, matched by `operationId` (docs/ucwa-protocol.md §12).
   */
  private async startOperation(
    rel: 'joinOnlineMeeting' | 'startMessaging',
    input: Record<string, unknown>,
    options: { subject?: string; operationId?: string },
    signal?: AbortSignal,
  ): Promise<{ invitationHref: string | undefined; operationId: string }> {
    const app = await this.application(signal);
    const operationId = options.operationId ?? newOperationId();
    const body = {
      ...input,
      operationId,
      importance: 'Normal',
      ...(options.subject ? { subject: options.subject } : {}),
    };
    const posted = this.postLink(app.communication, rel, body, signal);
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

  /**
   * Keep-alive (docs/ucwa-protocol.md §4.3): report activity whenever `me` offers the link. The `me` embedded
   * at creation predates makeMeAvailable, which adds the link, so it is read again once. False: not offered.
   */
  async reportMyActivity(signal?: AbortSignal): Promise<boolean> {
    // Never creates an application: the channel's owner does that.
    const app = this.app;
    if (!app) return false;
    const self = hrefOf(app.me, 'self');
    if (!hrefOf(app.me, 'reportMyActivity') && self && !this.meReread.has(app)) {
      this.meReread.add(app);
      app.me = await this.get('me', self, signal);
    }
    if (!hrefOf(app.me, 'reportMyActivity')) return false;
    await this.postLink(app.me, 'reportMyActivity', undefined, signal);
    return true;
  }

  /** Resolve a server href: relative hrefs are relative to the host of the UCWA applications URL (docs/ucwa-protocol.md §1). */
  resolve(href: string): string {
    return resolveHref(href, this.app?.href ?? this.discovery?.applicationsUrl ?? this.options.discoveryUrl);
  }

  // --- application lifecycle ------------------------------------------------------------------------------

  private async createApplication(signal?: AbortSignal): Promise<ApplicationHandle> {
    let rediscovered = false;
    for (let attempt = 0; ; attempt++) {
      const { applicationsUrl } = await this.discover(false, signal);
      try {
        const { culture = 'en-us', endpointId, userAgent, instanceId } = this.options.application;
        const response = await this.transport.request({
          method: 'POST',
          url: applicationsUrl,
          body: { culture, endpointId, userAgent, ...(instanceId ? { instanceId } : {}) },
          resource: 'applications',
          // The same endpointId maps to the same application, so repeating the POST is harmless.
          idempotent: true,
          signal,
        });
        const resource = parseAs('application', response.body);
        const self = hrefOf(resource, 'self');
        const href = self
          ? resolveHref(self, applicationsUrl)
          : (response.headers.get('location') ?? applicationsUrl);
        this.app = this.toHandle(resolveHref(href, applicationsUrl), resource, 'created');
        await this.makeMeAvailable(signal);
        return this.app;
      } catch (error) {
        // Application creation sees intermittent 401s right after sign-in: retry a few times with backoff.
        if (error instanceof UcwaAuthError && attempt + 1 < INTERMITTENT_401_ATTEMPTS) {
          await sleep(backoffDelay(this.retry, attempt, this.options.random) + 250, signal);
          continue;
        }
        if (needsRediscovery(error) && !rediscovered) {
          rediscovered = true;
          this.discovery = undefined;
          continue;
        }
        throw error;
      }
    }
  }

  /** makeMeAvailable: without it the application is a lurker and receives no invitations. 409 = already done. */
  private async makeMeAvailable(signal?: AbortSignal): Promise<void> {
    const app = this.app;
    if (!app || !this.options.availability) return;
    const href = hrefOf(app.me, 'makeMeAvailable');
    if (!href) return;
    const {
      signInAs = 'Online',
      // Invitations arrive only for registered modalities; these two are all the docs allow (§5).
      supportedModalities = ['Messaging', 'PhoneAudio'],
      supportedMessageFormats = ['Plain', 'Html'],
    } = this.options.availability;
    try {
      await this.transport.request({
        method: 'POST',
        url: resolveHref(href, app.href),
        body: { signInAs, supportedModalities, supportedMessageFormats },
        resource: 'makeMeAvailable',
        idempotent: true,
        signal,
      });
    } catch (error) {
      if (error instanceof UcwaError && error.action === 'already-done') return;
      throw error;
    }
  }

  private toHandle(
    href: string,
    resource: Application,
    origin: ApplicationHandle['origin'],
  ): ApplicationHandle {
    const me = embeddedOf(resource, 'me')[0];
    const communication = embeddedOf(resource, 'communication')[0];
    const events = hrefOf(resource, 'events');
    if (!events) throw new LinkNotOfferedError('events', href);
    const batch = hrefOf(resource, 'batch');
    return {
      href,
      resource,
      me: me ? parseAs('me', me) : undefined,
      communication: communication ? parseAs('communication', communication) : undefined,
      eventsHref: resolveHref(events, href),
      batchHref: batch ? resolveHref(batch, href) : undefined,
      origin,
    };
  }

  private async postLink(
    resource: UcwaResource | undefined,
    rel: string,
    body: unknown,
    signal?: AbortSignal,
  ) {
    const href = hrefOf(resource, rel);
    if (!href) throw new LinkNotOfferedError(rel, hrefOf(resource, 'self'));
    return this.transport.request({ method: 'POST', url: this.resolve(href), body, resource: rel, signal });
  }
}

function partError(part: BatchResponsePart, method: string, href: string): UcwaError {
  const body = part.body as { code?: unknown } | undefined;
  return new UcwaError({
    status: part.status,
    method,
    href,
    ...(typeof body?.code === 'string' ? { body: part.body as { code: string } } : {}),
  });
}
