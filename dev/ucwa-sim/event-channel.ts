import { ucwaError } from './errors.js';
import { groupBySender, type Priority, type QueuedEvent, type SenderJson } from './events.js';
import { jsonResponse, type SimRequest, type SimResponse } from './http-types.js';
import type { TimerHandle, Timers } from './timers.js';
import type { RecordedEvent } from './types.js';

/** A response body the client may ask for again with the same ack (frozen once it was first sent). */
interface Batch {
  ack: number;
  kind: 'next' | 'resume';
  senders: SenderJson[];
}

interface ParkedGet {
  target: string;
  priority: number;
  resolve: (response: SimResponse) => void;
  /** Undefined while no such timer is pending, or once the simulator is closed (then its timers give none). */
  timeout: TimerHandle | undefined;
  hold: TimerHandle | undefined;
  release: NodeJS.Immediate | undefined;
  detach: () => void;
}

export interface EventChannelConfig {
  timers: Timers;
  minTimeoutSec: number;
  defaultTimeoutSec: number;
  resumeAfterMs: number;
  idleTimeoutMs: number;
  /** href of `events?ack=n`, rendered in the response-link style. */
  eventsHref: (ack: number) => string;
  /** Renders the P-GET's own target as `self`. */
  selfHref: (target: string) => string;
  /** No P-GET for idleTimeoutMs: the server reclaims the application. */
  onIdle: () => void;
  /** A P-GET after a long silence: the server resets transient state before answering with `resume`. */
  onResume: () => void;
  /** A P-GET is parked now, waiting for events or its timeout. */
  onParked?: () => void;
}

const MAX_WAIT_SEC = 1800;
const AGGREGATION_RANGE = { min: 5, max: 1800 };

/**
 * The pending-GET event channel of one application (docs/ucwa-protocol.md §6):
 *  - `ack=N` where N is the first unacknowledged batch: that batch (re-sent unchanged if it was sent before),
 *    or a parked GET until events exist or `timeout` expires (empty batch: only `_links`);
 *  - `ack=N+1` acknowledges batch N; any other ack answers at once with only `_links.resync`;
 *  - a second GET completes the parked one with 409 PGetReplaced (unless it has a lower `priority`);
 *  - after `resumeAfterMs` without a P-GET the next answer carries `resume` instead of `next`;
 *  - `idleTimeoutMs` after the last P-GET was released with no new one, the application is reclaimed.
 */
export class EventChannel {
  private firstUnacked = 1;
  private sent: Batch | undefined;
  private queue: QueuedEvent[] = [];
  private parked: ParkedGet | undefined;
  private lastActivity: number;
  private idle: TimerHandle | undefined;
  private closed = false;
  /** The server remembers these until the channel is re-created (or reset by a resume). */
  private params: { timeoutSec?: number; lowSec?: number; mediumSec?: number } = {};

  constructor(private readonly config: EventChannelConfig) {
    this.lastActivity = config.timers.now();
    this.armIdle();
  }

  /** Queues an event; a parked GET is released on the next turn so events emitted together share a batch. */
  push(event: QueuedEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    this.scheduleRelease();
  }

  pendingEvents(): readonly QueuedEvent[] {
    return this.queue;
  }

  get hasParkedGet(): boolean {
    return this.parked !== undefined;
  }

  handleGet(req: SimRequest): Promise<SimResponse> {
    if (this.closed)
      return Promise.resolve(
        ucwaError(404, { code: 'NotFound', subcode: 'ApplicationNotFound', message: 'Application gone.' }),
      );
    const query = req.url.searchParams;
    const priority = Number.parseInt(query.get('priority') ?? '0', 10) || 0;
    const params = this.parseParams(query);
    if ('status' in params) return Promise.resolve(params);

    const hadParked = this.parked !== undefined;
    if (this.parked) {
      // Among competing P-GETs the higher priority wins; on a tie the newer one does.
      if (priority < this.parked.priority) return Promise.resolve(pGetReplaced());
      this.finish(this.parked, pGetReplaced());
    }
    this.disarmIdle();

    const now = this.config.timers.now();
    const resuming = !hadParked && now - this.lastActivity > this.config.resumeAfterMs;
    if (resuming) {
      // State reset: the client has to rebuild everything, so nothing queued or unacknowledged survives,
      // and the aggregation parameters are forgotten (the client sends them again after a resume).
      this.params = {};
      this.config.onResume();
      this.queue = [];
    }
    Object.assign(this.params, params);

    const ackText = query.get('ack') ?? '';
    const ack = /^\d+$/.test(ackText) ? Number(ackText) : Number.NaN;
    if (ack === this.firstUnacked + 1 && this.sent) {
      this.sent = undefined;
      this.firstUnacked = ack;
    }
    if (ack !== this.firstUnacked) {
      if (resuming) this.sent = { ack: this.firstUnacked, kind: 'resume', senders: [] };
      return Promise.resolve(this.answerNow(this.resync()));
    }
    if (resuming) this.sent = { ack: this.firstUnacked, kind: 'resume', senders: [] };
    if (this.sent) return Promise.resolve(this.answerNow(this.render(this.sent, req.target)));

    return new Promise<SimResponse>((resolve) => {
      const onAbort = (): void => {
        if (this.parked === parked) this.finish(parked, { status: 499, headers: {} });
      };
      const parked: ParkedGet = {
        target: req.target,
        priority,
        resolve,
        timeout: undefined,
        hold: undefined,
        release: undefined,
        detach: () => req.signal.removeEventListener('abort', onAbort),
      };
      req.signal.addEventListener('abort', onAbort, { once: true });
      this.parked = parked;
      const timeoutSec = this.params.timeoutSec ?? this.config.defaultTimeoutSec;
      parked.timeout = this.config.timers.setTimeout(() => this.release(), timeoutSec * 1000);
      if (req.signal.aborted) onAbort();
      else {
        this.config.onParked?.();
        this.scheduleRelease();
      }
    });
  }

  /** The application is gone (deleted, reclaimed, expired, simulator closing): answer the parked GET with `response`. */
  close(response?: SimResponse): void {
    this.closed = true;
    this.disarmIdle();
    if (this.parked) {
      this.finish(
        this.parked,
        response ??
          ucwaError(404, { code: 'NotFound', subcode: 'ApplicationNotFound', message: 'Application gone.' }),
      );
    }
    this.queue = [];
  }

  /** timeout/low/medium in seconds, clamped to the documented ranges (out-of-range values are not refused). */
  private parseParams(
    query: URLSearchParams,
  ): SimResponse | { timeoutSec?: number; lowSec?: number; mediumSec?: number } {
    const read = (name: string): number | undefined | 'bad' => {
      const text = query.get(name);
      if (text === null || text === '') return undefined;
      const value = Number(text);
      return Number.isFinite(value) && value >= 0 ? value : 'bad';
    };
    const timeout = read('timeout');
    const low = read('low');
    const medium = read('medium');
    if (timeout === 'bad' || low === 'bad' || medium === 'bad') {
      return ucwaError(400, {
        code: 'BadRequest',
        subcode: 'ParameterValidationFailure',
        message: 'timeout, low and medium must be numbers.',
        parameters: { timeout: 'number', low: 'number', medium: 'number' },
      });
    }
    const params: { timeoutSec?: number; lowSec?: number; mediumSec?: number } = {};
    if (timeout !== undefined) params.timeoutSec = clamp(timeout, this.config.minTimeoutSec, MAX_WAIT_SEC);
    if (low !== undefined) params.lowSec = clamp(low, AGGREGATION_RANGE.min, AGGREGATION_RANGE.max);
    if (medium !== undefined) params.mediumSec = clamp(medium, AGGREGATION_RANGE.min, AGGREGATION_RANGE.max);
    return params;
  }

  /** How long a queued event may wait for company. High: no wait. Medium/low only when the client asked for it. */
  private holdMs(priority: Priority): number {
    if (priority === 'Medium') return (this.params.mediumSec ?? 0) * 1000;
    if (priority === 'Low') return (this.params.lowSec ?? 0) * 1000;
    return 0;
  }

  private scheduleRelease(): void {
    const parked = this.parked;
    if (!parked || this.queue.length === 0 || parked.release) return;
    const deadline = Math.min(...this.queue.map((event) => event.at + this.holdMs(event.priority)));
    const wait = deadline - this.config.timers.now();
    if (wait <= 0) {
      this.config.timers.clearTimeout(parked.hold);
      parked.hold = undefined;
      parked.release = this.config.timers.setImmediate(() => this.release());
    } else if (!parked.hold) {
      parked.hold = this.config.timers.setTimeout(() => {
        parked.hold = undefined;
        this.scheduleRelease();
      }, wait);
    }
  }

  /** Freezes everything queued (possibly nothing) as the batch at the first unacknowledged ack and sends it. */
  private release(): void {
    const parked = this.parked;
    if (!parked) return;
    this.sent = { ack: this.firstUnacked, kind: 'next', senders: groupBySender(this.queue) };
    this.queue = [];
    this.finish(parked, this.render(this.sent, parked.target));
  }

  private finish(parked: ParkedGet, response: SimResponse): void {
    const timers = this.config.timers;
    timers.clearTimeout(parked.timeout);
    timers.clearTimeout(parked.hold);
    timers.clearImmediate(parked.release);
    parked.detach();
    if (this.parked === parked) {
      this.parked = undefined;
      this.lastActivity = timers.now();
      if (!this.closed) this.armIdle();
    }
    parked.resolve(response);
  }

  private answerNow(response: SimResponse): SimResponse {
    this.lastActivity = this.config.timers.now();
    this.armIdle();
    return response;
  }

  private render(batch: Batch, target: string): SimResponse {
    const links: Record<string, { href: string }> = { self: { href: this.config.selfHref(target) } };
    links[batch.kind] = { href: this.config.eventsHref(batch.ack + 1) };
    const body: { _links: typeof links; sender?: SenderJson[] } = { _links: links };
    if (batch.senders.length > 0) body.sender = batch.senders;
    return { ...jsonResponse(200, body), events: recordedEvents(batch.senders) };
  }

  /** Only `resync`, pointing at the first unacknowledged batch (docs/ucwa-protocol.md §6.2). */
  private resync(): SimResponse {
    return jsonResponse(200, { _links: { resync: { href: this.config.eventsHref(this.firstUnacked) } } });
  }

  private armIdle(): void {
    this.disarmIdle();
    if (this.closed || this.parked) return;
    this.idle = this.config.timers.setTimeout(() => {
      this.idle = undefined;
      if (!this.parked && !this.closed) this.config.onIdle();
    }, this.config.idleTimeoutMs);
  }

  private disarmIdle(): void {
    this.config.timers.clearTimeout(this.idle);
    this.idle = undefined;
  }
}

/** What `sim.requests` keeps of a batch: every event, without embedded resources. */
function recordedEvents(senders: readonly SenderJson[]): RecordedEvent[] {
  return senders.flatMap((sender) =>
    sender.events.map((event) => ({
      senderRel: sender.rel,
      senderHref: sender.href,
      rel: event.link.rel,
      href: event.link.href,
      ...(event.link.title !== undefined ? { title: event.link.title } : {}),
      type: event.type,
      ...(event.in ? { in: { ...event.in } } : {}),
    })),
  );
}

function pGetReplaced(): SimResponse {
  return ucwaError(409, {
    code: 'Conflict',
    subcode: 'PGetReplaced',
    message: 'This pending GET was replaced by a newer one.',
  });
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
