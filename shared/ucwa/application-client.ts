import { backoffDelay } from '../lib/backoff.js';
import { sleep } from '../lib/sleep.js';
import { type ApplicationHandle, makeMeAvailable, postApplication, toHandle } from './application.js';
import type { BatchRequestPart, BatchResponsePart } from './batch.js';
import { type BatchGetResult, postBatches, readParts } from './batching.js';
import type { OperationOptions, UcwaClientOptions } from './client-options.js';
import { type Discovery, discover } from './discovery.js';
import {
  LinkNotOfferedError,
  needsRediscovery,
  UcwaAuthError,
  UcwaError,
  UcwaSchemaError,
} from './errors.js';
import { EventChannel } from './event-channel.js';
import { hrefOf, originOf, resolveHref } from './links.js';
import { OriginPolicy } from './origin-policy.js';
import { type KnownRel, parseAs, type ResourceOf } from './parse.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import type { UcwaResource } from './schemas.js';
import { UcwaTransport } from './transport.js';

export type { BatchGetResult } from './batching.js';
export type { OperationOptions, UcwaClientOptions } from './client-options.js';

const INTERMITTENT_401_ATTEMPTS = 3;

/**
 * The UCWA 2.0 client's base: discovery, the application's lifecycle, keep-alive, the event channel, resources
 * and batches. The operations the gatekeeper performs are in UcwaClient (client.ts). Follows links only.
 */
export class UcwaApplicationClient {
  protected readonly transport: UcwaTransport;
  private readonly origins: OriginPolicy;
  private readonly retry: RetryPolicy;
  private discovery: Discovery | undefined;
  protected app: ApplicationHandle | undefined;
  /** Applications whose `me` was read again after makeMeAvailable. */
  private readonly meReread = new WeakSet<ApplicationHandle>();

  constructor(protected readonly options: UcwaClientOptions) {
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
  async discover(options: OperationOptions & { force?: boolean } = {}): Promise<Discovery> {
    if (!this.discovery || options.force)
      this.discovery = await discover(this.transport, this.options.discoveryUrl, options.abortSignal);
    return this.discovery;
  }

  /** One unauthenticated GET of the discovery URL, without retries: throws when UCWA cannot be reached. */
  async probeDiscovery(options: OperationOptions & { timeoutMs?: number } = {}): Promise<void> {
    await this.transport.request({
      method: 'GET',
      url: this.options.discoveryUrl,
      auth: false,
      retry: false,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      signal: options.abortSignal,
    });
  }

  /** When the token for the current application's origin expires (epoch ms), if known. */
  tokenExpiresOn(): number | undefined {
    return this.app ? this.transport.tokenExpiresOn(originOf(this.app.href)) : undefined;
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
  async rediscover(options: OperationOptions = {}): Promise<ApplicationHandle> {
    const { applicationsUrl } = await this.discover({ ...options, force: true });
    const href = this.app?.href;
    if (href && originOf(href) === originOf(applicationsUrl)) return this.attachApplication(href, options);
    return this.recreateApplication(options);
  }

  /** The current application, created on first use. */
  async application(options: OperationOptions = {}): Promise<ApplicationHandle> {
    this.app ??= await this.createApplication(options.abortSignal);
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
  async attachApplication(href: string, options: OperationOptions = {}): Promise<ApplicationHandle> {
    const signal = options.abortSignal;
    try {
      const response = await this.transport.request({
        method: 'GET',
        url: href,
        resource: 'application',
        signal,
      });
      this.app = toHandle(href, parseAs('application', response.body), 'attached');
      await this.makeMeAvailable(signal);
      return this.app;
    } catch (error) {
      if (error instanceof UcwaError && (error.applicationGone || error.status === 404)) {
        return this.recreateApplication(options);
      }
      if (needsRediscovery(error)) {
        this.forgetDiscovery();
        return this.recreateApplication(options);
      }
      throw error;
    }
  }

  /** The application at `href`: the one this client already holds, or re-attached (one GET and makeMeAvailable). */
  async useApplication(href: string, options: OperationOptions = {}): Promise<ApplicationHandle> {
    if (this.app?.href === href) return this.app;
    return this.attachApplication(href, options);
  }

  /** Drop the current application and create a new one; callers rejoin meetings and restart the event channel. */
  async recreateApplication(options: OperationOptions = {}): Promise<ApplicationHandle> {
    this.app = undefined;
    return this.application(options);
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
    options: OperationOptions = {},
  ): Promise<ResourceOf<K>> {
    const response = await this.transport.request({
      method: 'GET',
      url: this.resolve(href),
      resource: rel,
      signal: options.abortSignal,
    });
    return parseAs(rel, response.body);
  }

  /** GET many resources of one kind in as few round trips as batching allows; per-href results in order. */
  async getMany<K extends Exclude<KnownRel, 'events'>>(
    rel: K,
    hrefs: readonly string[],
    options: OperationOptions = {},
  ): Promise<BatchGetResult<ResourceOf<K>>[]> {
    const urls = hrefs.map((href) => this.resolve(href));
    if (urls.length === 1) {
      // One resource: a plain GET is the same round trip without the multipart envelope.
      const href = urls[0] ?? '';
      try {
        return [{ href, ok: true, resource: await this.get(rel, href, options) }];
      } catch (error) {
        if (error instanceof UcwaError || error instanceof UcwaSchemaError)
          return [{ href, ok: false, error }];
        throw error;
      }
    }
    const parts = await this.batch(
      urls.map((url) => ({ method: 'GET' as const, url })),
      options,
    );
    return readParts(rel, urls, parts);
  }

  /** Run requests in `multipart/batching` POSTs on the application's batch link (see batching.ts). */
  async batch(
    parts: readonly BatchRequestPart[],
    options: OperationOptions = {},
  ): Promise<BatchResponsePart[]> {
    if (parts.length === 0) return [];
    const app = await this.application(options);
    if (!app.batchHref) throw new LinkNotOfferedError('batch', app.href);
    const ctx = {
      transport: this.transport,
      retry: this.retry,
      ...(this.options.random ? { random: this.options.random } : {}),
    };
    return postBatches(ctx, app.batchHref, parts, { ...options, size: this.options.maxBatchParts ?? 50 });
  }

  /**
   * Keep-alive (docs/ucwa-protocol.md §4.3): report activity whenever `me` offers the link. The `me` embedded
   * at creation predates makeMeAvailable, which adds the link, so it is read again once. False: not offered.
   */
  async reportMyActivity(options: OperationOptions = {}): Promise<boolean> {
    // Never creates an application: the channel's owner does that.
    const app = this.app;
    if (!app) return false;
    const self = hrefOf(app.me, 'self');
    if (!hrefOf(app.me, 'reportMyActivity') && self && !this.meReread.has(app)) {
      this.meReread.add(app);
      app.me = await this.get('me', self, options);
    }
    if (!hrefOf(app.me, 'reportMyActivity')) return false;
    await this.postLink(app.me, 'reportMyActivity', undefined, options);
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
      const { applicationsUrl } = await this.discover(signal ? { abortSignal: signal } : {});
      try {
        this.app = await postApplication(this.transport, applicationsUrl, this.options.application, signal);
        await this.makeMeAvailable(signal);
        return this.app;
      } catch (error) {
        // Application creation sees intermittent 401s right after sign-in: retry a few times with backoff.
        if (error instanceof UcwaAuthError && attempt + 1 < INTERMITTENT_401_ATTEMPTS) {
          await sleep(backoffDelay(this.retry, attempt, 'full', this.options.random) + 250, signal);
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

  private async makeMeAvailable(signal?: AbortSignal): Promise<void> {
    if (this.app && this.options.availability)
      await makeMeAvailable(this.transport, this.app, this.options.availability, signal);
  }

  protected async postLink(
    resource: UcwaResource | undefined,
    rel: string,
    body: unknown,
    options: OperationOptions = {},
  ) {
    const href = hrefOf(resource, rel);
    if (!href) throw new LinkNotOfferedError(rel, hrefOf(resource, 'self'));
    const signal = options.abortSignal;
    return this.transport.request({ method: 'POST', url: this.resolve(href), body, resource: rel, signal });
  }
}
