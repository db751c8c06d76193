import { unauthorized } from './auth-challenge.js';
import { type BatchPartRequest, boundaryOf, parseBatch, serializeBatch } from './batch-format.js';
import { errors, ucwaError } from './errors.js';
import type { FaultSet } from './faults.js';
import { runWithFault } from './faults.js';
import {
  applicationRoutes,
  applicationsMetadata,
  createApplication,
} from './handlers/application-handlers.js';
import { communicationRoutes } from './handlers/communication-handlers.js';
import type { ResolvedRoute } from './handlers/context.js';
import { conversationRoute } from './handlers/conversation-handlers.js';
import {
  isUserPath,
  isXframePath,
  rootResponse,
  userResponse,
  xframeResponse,
} from './handlers/discovery-handlers.js';
import { invitationRoute } from './handlers/invitation-handlers.js';
import { tokenEndpoint } from './handlers/token-endpoint.js';
import { etagFor, mediaType, type SimRequest, type SimResponse, UCWA_JSON_TYPE } from './http-types.js';
import type { Application } from './model.js';
import type { ResolvedOptions } from './options.js';
import { applicationsBase, DISCOVERY_ROOT, parseAppRoute, TOKEN_PATH } from './paths.js';
import type { Recorder } from './recorder.js';
import { missingScopes } from './scopes.js';
import type { Timers } from './timers.js';
import type { Grant, TokenStore } from './tokens.js';
import type { World } from './world.js';

const SUPPORTED_RESOURCE_VERSION = 2;

export interface Origins {
  discovery: string[];
  pool: string;
}

/** The simulator's parts the pipeline reads and records into. */
export interface DispatcherDeps {
  world: World;
  /** Every user's world by lower-case user name (the first user's is `world`). */
  worlds: ReadonlyMap<string, World>;
  tokens: TokenStore;
  faults: FaultSet;
  recorder: Recorder;
  timers: Timers;
  origins: Origins;
}

/**
 * The one request pipeline, for real HTTP requests and batch parts alike:
 * public discovery/token routes → bearer token (401) → route (404/405) → application (404/410) → scope (403) → handler.
 */
export class Dispatcher {
  private outstandingBatchParts = 0;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly deps: DispatcherDeps,
  ) {}

  unauthorized(origin: string): SimResponse {
    return unauthorized(origin, this.opts.domain);
  }

  async handle(req: SimRequest, outerGrant?: Grant): Promise<SimResponse> {
    const response = await this.route(req, outerGrant);
    return this.negotiate(req, response);
  }

  private async route(req: SimRequest, outerGrant?: Grant): Promise<SimResponse> {
    const pathname = req.url.pathname;
    const lower = pathname.toLowerCase();
    const hop = this.deps.origins.discovery.indexOf(req.origin);
    if (lower === TOKEN_PATH.toLowerCase()) return tokenEndpoint(req, this.opts, this.deps.tokens);
    if (hop >= 0 && lower === DISCOVERY_ROOT) {
      return req.method === 'GET'
        ? rootResponse(this.opts, this.deps.origins.discovery, hop)
        : errors.methodNotAllowed(['GET']);
    }
    if (hop >= 0 && isXframePath(this.opts, pathname)) return xframeResponse();

    let grant = outerGrant;
    if (!grant) {
      const hostOrigin = `${req.url.protocol}//${req.headers.host ?? req.url.host}`;
      const check = await this.deps.tokens.check(req.headers.authorization, req.origin, hostOrigin);
      if (!check.ok) return this.unauthorized(req.origin);
      grant = check.grant;
    }

    if (hop === this.deps.origins.discovery.length - 1 && isUserPath(this.opts, pathname)) {
      return req.method === 'GET'
        ? userResponse(this.opts, req.origin, this.deps.origins.pool)
        : errors.methodNotAllowed(['GET']);
    }
    if (req.origin !== this.deps.origins.pool) return errors.resourceNotFound();
    return this.ucwa(req, grant);
  }

  private async ucwa(req: SimRequest, grant: Grant): Promise<SimResponse> {
    const minVersion = Number(req.headers['x-ms-requiresminresourceversion'] ?? '1');
    if (Number.isFinite(minVersion) && minVersion > SUPPORTED_RESOURCE_VERSION) {
      return ucwaError(404, {
        code: 'NotFound',
        subcode: 'APIVersionNotSupported',
        message: `Resource version ${minVersion} is not supported.`,
      });
    }
    // A token is good for its own user's applications only: another user's are not found. A server of one
    // user takes any token as that user's (test identity providers name users of their own); a server of
    // several refuses a user it does not know.
    const world =
      this.deps.worlds.size === 1
        ? this.deps.world
        : grant.user === undefined
          ? this.deps.world
          : this.deps.worlds.get(grant.user);
    if (!world) return errors.resourceNotFound();
    const base = applicationsBase(this.opts.pathFamily);
    const pathname = req.url.pathname;
    if (pathname !== base && !pathname.startsWith(`${base}/`)) return errors.resourceNotFound();
    let segments: string[];
    try {
      segments = pathname.slice(base.length).split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return errors.resourceNotFound();
    }
    const [appId, ...rest] = segments;
    if (!appId) {
      if (req.method === 'POST') return createApplication(world, req);
      if (req.method === 'OPTIONS') return applicationsMetadata();
      return errors.methodNotAllowed(['POST', 'OPTIONS']);
    }
    const app = world.lookupApplication(appId);
    if (app === '404') return errors.applicationNotFound();
    if (app === '410') return errors.applicationExpired();
    const route = parseAppRoute(this.opts.pathFamily, rest);
    if (!route) return errors.resourceNotFound();

    if (route.r === 'events') {
      if (req.batchPart) return this.notInBatch('events');
      if (req.method !== 'GET') return errors.methodNotAllowed(['GET']);
      return app.channel.handleGet(req);
    }
    if (route.r === 'batch') {
      if (req.batchPart) return this.notInBatch('batch');
      if (req.method !== 'POST') return errors.methodNotAllowed(['POST']);
      const denied = this.scopeDenied('batch', grant);
      return denied ?? this.batch(req, grant);
    }
    if (route.r === 'photo' && req.batchPart) return this.notInBatch('photo');

    const resolved = this.resolve(app, route);
    if (!('methods' in resolved)) return resolved;
    const handler = resolved.methods[req.method];
    if (!handler) return errors.methodNotAllowed(Object.keys(resolved.methods));
    const denied = this.scopeDenied(resolved.scope, grant);
    if (denied) return denied;
    return handler({ world, app, req, r: world.render(app) });
  }

  private resolve(
    app: Application,
    route: NonNullable<ReturnType<typeof parseAppRoute>>,
  ): ResolvedRoute | SimResponse {
    switch (route.r) {
      case 'invitation':
        return invitationRoute(app, route.inv, route.kind);
      case 'invitationAction':
        return invitationRoute(app, route.inv, route.kind, route.action);
      case 'conversations':
      case 'startMessaging':
      case 'joinOnlineMeeting':
        return communicationRoutes(route.r) ?? errors.resourceNotFound();
      default:
        if ('conv' in route) return conversationRoute(app, route);
        return applicationRoutes(route.r) ?? errors.resourceNotFound();
    }
  }

  /**
   * 403 naming the scopes that would do. The subcode `InsufficientScope` is the simulator's choice (no
   * documented one fits); the Bearer challenge follows RFC 6750 (`error="insufficient_scope"`).
   */
  private scopeDenied(resource: string, grant: Grant): SimResponse | undefined {
    // Server OAuth tokens carry no scopes: the scope tables are for online applications (§3.3).
    if (grant.kind === 'cwt' && !this.opts.scopedOpaqueTokens) return undefined;
    const needed = missingScopes(resource, grant.scopes);
    if (!needed) return undefined;
    return ucwaError(
      403,
      {
        code: 'Forbidden',
        subcode: 'InsufficientScope',
        message: `The access token lacks a scope required for ${resource}: one of ${needed.join(', ')}.`,
      },
      { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${needed.join(' ')}"` },
    );
  }

  private notInBatch(what: string): SimResponse {
    return ucwaError(400, {
      code: 'BadRequest',
      subcode: 'OperationNotSupported',
      message: `${what} cannot be requested inside a batch.`,
    });
  }

  /**
   * POST batch (docs/ucwa-protocol.md §11). Parts run in request order through this same pipeline with the outer token.
   * Over `batchLimit` parts (or outstanding parts across batches) → 429 and nothing runs.
   */
  private async batch(req: SimRequest, grant: Grant): Promise<SimResponse> {
    const type = mediaType(req.headers['content-type']);
    const boundary = boundaryOf(req.headers['content-type']);
    if (!type.startsWith('multipart/') || !boundary) {
      return errors.unsupportedMediaType('A batch must be multipart/batching with a boundary.');
    }
    const parsed = parseBatch(req.body.toString('utf8'), boundary);
    if (!parsed.ok) return errors.badRequest('DeserializationFailure', `Malformed batch: ${parsed.error}.`);
    const count = parsed.parts.length;
    if (count > this.opts.batchLimit || this.outstandingBatchParts + count > this.opts.batchLimit) {
      return ucwaError(
        429,
        { code: 'TooManyRequests', message: `At most ${this.opts.batchLimit} outstanding batch requests.` },
        { 'Retry-After': '5' },
      );
    }
    this.outstandingBatchParts += count;
    try {
      const responses: SimResponse[] = [];
      for (const part of parsed.parts) {
        if ('error' in part) {
          responses.push(errors.badRequest('DeserializationFailure', part.error));
          continue;
        }
        const response = await this.runPart(req, grant, part);
        if (response.drop) return response;
        responses.push(response);
      }
      const answerBoundary = `batch_${Math.random().toString(16).slice(2, 10)}`;
      return {
        status: 200,
        headers: {
          'Content-Type': `multipart/batching; boundary="${answerBoundary}"`,
          'Cache-Control': 'no-cache',
        },
        body: serializeBatch(responses, answerBoundary),
      };
    } finally {
      this.outstandingBatchParts -= count;
    }
  }

  private async runPart(outer: SimRequest, grant: Grant, part: BatchPartRequest): Promise<SimResponse> {
    const { method, target, headers, body } = part;
    let url: URL;
    try {
      url = new URL(target, outer.origin);
    } catch {
      return errors.badRequest('DeserializationFailure', `Bad request target ${target}.`);
    }
    const partTarget = `${url.pathname}${url.search}`;
    const partRequest: SimRequest = {
      method,
      target: partTarget,
      url: new URL(partTarget, outer.origin),
      origin: outer.origin,
      headers: { ...headers, authorization: outer.headers.authorization },
      body: Buffer.from(body, 'utf8'),
      batchPart: true,
      signal: outer.signal,
    };
    const record = this.deps.recorder.request({
      origin: outer.origin,
      method,
      path: partTarget,
      status: 0,
      ...(outer.headers.authorization ? { authorization: outer.headers.authorization } : {}),
      ...(headers['content-type'] ? { contentType: headers['content-type'] } : {}),
      at: this.deps.timers.now(),
      batchPart: true,
      headers: { ...headers },
      mimeHeaders: { ...part.mimeHeaders },
    });
    if (
      this.opts.batchPartsNeedLength &&
      (method === 'POST' || method === 'PUT') &&
      !headers['content-length']
    ) {
      // An HTTP server wants the length of every POST, an empty one included (the captured bodiless POSTs
      // send Content-Length: 0); the inner request of a part is no exception here.
      const refused = ucwaError(411, {
        code: 'LengthRequired',
        message: 'A POST or PUT needs Content-Length.',
      });
      this.deps.recorder.complete(record, refused.status);
      return refused;
    }
    const fault = this.deps.faults.take(partRequest);
    const response = await runWithFault(
      fault,
      this.deps.timers,
      () => this.handle(partRequest, grant),
      () => this.unauthorized(outer.origin),
    );
    this.deps.recorder.complete(record, response.drop ? -1 : response.status);
    return response;
  }

  /** JSON in the media type the client asked for; an Etag on every JSON GET (most reference GETs carry one). */
  private negotiate(req: SimRequest, response: SimResponse): SimResponse {
    const contentType = response.headers['Content-Type'];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/json')) return response;
    const accept = (req.headers.accept ?? '').toLowerCase();
    if (accept.includes('xml') && !accept.includes('json') && !accept.includes('*/*')) {
      return ucwaError(406, { code: 'NotAcceptable', message: 'This simulator serves JSON only.' });
    }
    if (accept.includes('application/vnd.microsoft.com.ucwa+json'))
      response.headers['Content-Type'] = UCWA_JSON_TYPE;
    if (
      req.method === 'GET' &&
      response.status === 200 &&
      !response.headers.Etag &&
      response.body !== undefined
    ) {
      const isEvents = req.url.pathname.endsWith('/events');
      if (!isEvents) response.headers.Etag = etagFor(response.body.toString());
    }
    return response;
  }
}
