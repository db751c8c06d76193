/**
 * Where the time goes inside the gatekeeper's process between an event and its removal, measured without a
 * hook in the production code: Node's diagnostics channels time every HTTP request (`fetch` — UCWA, token
 * endpoint, chat — through undici's channels; the Azure SDK through node:http's), and the runtime's own
 * objects are wrapped where the use case calls them (`gatekeeper.handleEvents`, `claims.open/write`,
 * `ucwa.removeParticipants`: the watch and the effect runner look those methods up on the objects at each
 * call). Timestamps are epoch milliseconds on this process's clock (`performance.timeOrigin + now()`).
 *
 * Used in-process by the event-to-removal scenario and, bundled, by the first-removal child. Imports nothing
 * from the project at run time.
 */
import dc from 'node:diagnostics_channel';

export const clock = (): number => performance.timeOrigin + performance.now();

export interface Span {
  method: string;
  /** origin + path (fetch); host + path (node:http). */
  url: string;
  start: number;
  end?: number;
}

export type MarkName =
  | 'handleEvents'
  | 'claimOpen'
  | 'claimOpened'
  | 'claimWrite'
  | 'claimWritten'
  | 'remove'
  | 'tokenStart'
  | 'tokenEnd';

export interface Mark {
  what: MarkName;
  at: number;
}

export interface ProbeRecord {
  /** Every fetch (undici): UCWA requests, the token endpoint, chat. */
  fetches: Span[];
  /** Every node:http request to the storage hosts (the Azure SDK). */
  storage: Span[];
  /** New outgoing TCP connections (net.client.socket: fetch's and node:http's alike). */
  sockets: { at: number }[];
  marks: Mark[];
}

export interface Probe extends ProbeRecord {
  mark(what: MarkName): void;
  close(): void;
}

type Subscription = [string, (message: unknown) => void];

/** Starts recording; `storageHosts` are host:port pairs of the storage endpoints (others are ignored). */
export function startProbe(storageHosts: readonly string[]): Probe {
  const hosts = new Set(storageHosts);
  const record: ProbeRecord = { fetches: [], storage: [], sockets: [], marks: [] };
  const open = new WeakMap<object, Span>();
  const undiciRequest = (message: unknown) =>
    (message as { request: { origin?: unknown; path?: string; method?: string } }).request;
  const nodeRequest = (message: unknown) =>
    (message as { request: { getHeader(name: string): unknown; method?: string; path?: string } }).request;
  const finish = (message: unknown, request: (m: unknown) => object) => {
    const span = open.get(request(message));
    if (span && span.end === undefined) span.end = clock();
  };
  const subscriptions: Subscription[] = [
    [
      'undici:request:create',
      (message) => {
        const request = undiciRequest(message);
        const span = {
          method: request.method ?? '',
          url: `${String(request.origin ?? '')}${request.path ?? ''}`,
          start: clock(),
        };
        record.fetches.push(span);
        open.set(request, span);
      },
    ],
    // The whole answer is in: what the caller's `await response.text()` waits for.
    ['undici:request:trailers', (message) => finish(message, undiciRequest)],
    ['undici:request:error', (message) => finish(message, undiciRequest)],
    [
      'http.client.request.start',
      (message) => {
        const request = nodeRequest(message);
        const host = String(request.getHeader('host') ?? '');
        if (!hosts.has(host)) return;
        const span = { method: request.method ?? '', url: `${host}${request.path ?? ''}`, start: clock() };
        record.storage.push(span);
        open.set(request, span);
      },
    ],
    ['http.client.response.finish', (message) => finish(message, nodeRequest)],
    [
      'net.client.socket',
      () => {
        record.sockets.push({ at: clock() });
      },
    ],
  ];
  for (const [name, listener] of subscriptions) dc.subscribe(name, listener);
  return {
    ...record,
    mark: (what) => record.marks.push({ what, at: clock() }),
    close: () => {
      for (const [name, listener] of subscriptions) dc.unsubscribe(name, listener);
    },
  };
}

/** What of the runtime the probe wraps (structural, so it holds across refactorings of the runtime). */
export interface Instrumentable {
  gatekeeper: { handleEvents(...args: never[]): Promise<unknown> };
  claims: {
    open(...args: never[]): Promise<unknown>;
    /** Several claims in as few storage round trips as the store can (the event path's). */
    openMany?(...args: never[]): Promise<unknown>;
    write(...args: never[]): Promise<unknown>;
  };
  ucwa: { removeParticipants(...args: never[]): Promise<unknown> };
}

/** Marks the calls the event path makes on the runtime's objects: each method is replaced on the instance. */
export function instrument(rt: Instrumentable, probe: Pick<Probe, 'mark'>): void {
  wrap(rt.gatekeeper, 'handleEvents', probe, { before: 'handleEvents' });
  // The event path opens its claims together (openMany, which calls open for a lone one): one mark pair each.
  if (typeof rt.claims.openMany === 'function')
    wrap(rt.claims, 'openMany', probe, { before: 'claimOpen', after: 'claimOpened' });
  else wrap(rt.claims, 'open', probe, { before: 'claimOpen', after: 'claimOpened' });
  wrap(rt.claims, 'write', probe, { before: 'claimWrite', after: 'claimWritten' });
  wrap(rt.ucwa, 'removeParticipants', probe, { before: 'remove' });
}

/** A token source whose getToken calls are marked (start and end). */
export function markedTokens<T extends { getToken(...args: never[]): Promise<unknown> }>(
  tokens: T,
  probe: Pick<Probe, 'mark'>,
): T {
  wrap(tokens, 'getToken', probe, { before: 'tokenStart', after: 'tokenEnd' });
  return tokens;
}

/** Marks `before` when `target[key]` is called and, if given, `after` when its promise settles. */
function wrap<T extends object>(
  target: T,
  key: keyof T & string,
  probe: Pick<Probe, 'mark'>,
  { before, after }: { before: MarkName; after?: MarkName },
): void {
  const original = target[key] as unknown as (...args: unknown[]) => Promise<unknown>;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    probe.mark(before);
    const result = original.apply(this, args);
    if (!after) return result;
    return result.finally(() => probe.mark(after));
  };
  Object.defineProperty(target, key, { value: wrapped, configurable: true, writable: true });
}

/**
 * One removal's path through the gatekeeper, phase by phase (ms). `received` is when the P-GET's answer was
 * fully read, `arrival` when the removal request reached UCWA; both on this process's clock.
 */
export interface Phases {
  /** The P-GET's answer read → handleEvents: JSON, the event schemas, the channel's bookkeeping. */
  parse: number;
  /** UCWA requests made between handleEvents and the claim (participant reads, link only): round trips. */
  read: number;
  /** handleEvents → the claim asked for, less `read`: meaning, sender facts, the policy, the claim's report. */
  policy: number;
  /** The claim asked for → its insert on the wire, less other storage requests meanwhile (SDK request building). */
  claimPrep: number;
  /** Storage requests inside the claim other than the insert (creating the table on first use). */
  claimOther: number;
  /** The insert's HTTP exchange with storage. */
  claimInsert: number;
  /** The insert answered → the claim returned (the SDK reading the answer). */
  claimAnswer: number;
  /**
   * When a "sending" write follows the claim (a claim opened without `sentAt`): the claim returned → the
   * write asked for (the lifecycle step, the policy again), the write whole, and its HTTP exchange alone.
   */
  act?: number;
  sendingWrite?: number;
  sendingHttp?: number;
  /** The claim (or its "sending" write) returned → the removal request created by fetch (lifecycle step,
   * batching, request building, token). */
  toPost: number;
  /** Storage requests and new TCP connections in the window, and token calls' time. */
  storageRequests: number;
  sockets: number;
  tokenMs: number;
}

/**
 * The phases of the removal whose request is `post` (a fetch span), given the P-GET answer's read time. Undefined
 * when a mark is missing (e.g. the claim existed already and no insert went out).
 */
export function phasesOf(record: ProbeRecord, received: number, postStart: number): Phases | undefined {
  const inWindow = (at: number) => at >= received && at <= postStart;
  const first = (what: MarkName, after: number) =>
    record.marks.find((mark) => mark.what === what && mark.at >= after && mark.at <= postStart)?.at;
  const handle = first('handleEvents', received);
  if (handle === undefined) return undefined;
  const open = first('claimOpen', handle);
  if (open === undefined) return undefined;
  const opened = first('claimOpened', open);
  if (opened === undefined) return undefined;
  const write = first('claimWrite', opened);
  const written = write === undefined ? undefined : first('claimWritten', write);
  const inside = (spans: readonly Span[], from: number, to: number) =>
    spans.filter((span) => span.start >= from && span.end !== undefined && span.end <= to);
  const duration = (spans: readonly Span[]) =>
    spans.reduce((sum, span) => sum + ((span.end ?? span.start) - span.start), 0);
  const reads = inside(record.fetches, handle, open);
  const claimSpans = inside(record.storage, open, opened);
  const insert = claimSpans.at(-1);
  if (!insert || insert.end === undefined) return undefined;
  const others = claimSpans.slice(0, -1);
  const sending = write !== undefined && written !== undefined ? inside(record.storage, write, written) : [];
  let tokenMs = 0;
  for (const mark of record.marks) {
    if (mark.what !== 'tokenStart' || !inWindow(mark.at)) continue;
    const end = first('tokenEnd', mark.at);
    tokenMs += (end ?? postStart) - mark.at;
  }
  return {
    parse: handle - received,
    read: duration(reads),
    policy: open - handle - duration(reads),
    claimPrep: insert.start - open - duration(others),
    claimOther: duration(others),
    claimInsert: insert.end - insert.start,
    claimAnswer: opened - insert.end,
    ...(write !== undefined && written !== undefined
      ? { act: write - opened, sendingWrite: written - write, sendingHttp: duration(sending) }
      : {}),
    toPost: postStart - (written ?? opened),
    storageRequests: record.storage.filter((span) => inWindow(span.start)).length,
    sockets: record.sockets.filter((socket) => inWindow(socket.at)).length,
    tokenMs,
  };
}

/** The host:port pairs of a storage connection string's endpoints (Azurite: blob and table). */
export function storageHostsOf(connectionString: string): string[] {
  return connectionString
    .split(';')
    .map((part) => /^(?:Blob|Table|Queue)Endpoint=(.+)$/.exec(part)?.[1])
    .flatMap((endpoint) => (endpoint ? [new URL(endpoint).host] : []));
}

/** A P-GET (…/events), and a request that carries removals (a reject or eject POST, or a batch of them). */
export const isEventsUrl = (url: string): boolean => new URL(url, 'http://x').pathname.endsWith('/events');
export const isRemovalUrl = (url: string): boolean =>
  /\/(eject|reject|batch)$/.test(new URL(url, 'http://x').pathname);
