/**
 * Plain-fetch helpers for the simulator tests. Deliberately no client code from shared/: these tests read the
 * protocol the way the docs describe it, independently of the UCWA client.
 */
import { type SimulatorOptions, startUcwaSimulator, type UcwaSimulator } from '../../dev/ucwa-sim/index.js';

// biome-ignore lint/suspicious/noExplicitAny: UCWA bodies are checked structurally in the assertions.
export type Body = any;

/** Short timers so the suite stays fast: P-GET timeouts down to 0.05 s. */
export function startSim(options: SimulatorOptions = {}): Promise<UcwaSimulator> {
  return startUcwaSimulator({ ...options, eventChannel: { minTimeoutSec: 0.05, ...options.eventChannel } });
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: Body;
}

export class Client {
  /** The applications URL (the UCWA entry point). */
  applications: string;

  constructor(
    readonly sim: UcwaSimulator,
    public token: string = sim.issueToken(),
    family: 'v1' | 'oauth' = 'oauth',
  ) {
    this.applications = `${sim.origins.pool}${family === 'v1' ? '/ucwa/v1/applications' : '/ucwa/oauth/v1/applications'}`;
  }

  /** Relative hrefs resolve against the pool (the host of the applications URL). */
  url(href: string): string {
    return new URL(href, this.sim.origins.pool).toString();
  }

  async request(
    method: string,
    href: string,
    init: { body?: string; type?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (init.type) headers['Content-Type'] = init.type;
    const response = await fetch(this.url(href), {
      method,
      headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const text = await response.text();
    let body: Body;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, text, body };
  }

  get(href: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request('GET', href, headers ? { headers } : {});
  }

  post(href: string, json?: unknown): Promise<Reply> {
    return this.request(
      'POST',
      href,
      json === undefined ? {} : { body: JSON.stringify(json), type: 'application/json' },
    );
  }

  /** POST applications and return the application body. */
  async createApplication(identity: Record<string, string> = {}): Promise<Body> {
    const reply = await this.post(this.applications, {
      culture: 'en-us',
      endpointId: 'test-endpoint',
      userAgent: 'ucwa-sim-tests/1.0',
      ...identity,
    });
    if (reply.status !== 201 && reply.status !== 200)
      throw new Error(`create application: ${reply.status} ${reply.text}`);
    return reply.body;
  }

  async makeMeAvailable(
    app: Body,
    body: unknown = { supportedModalities: ['Messaging', 'PhoneAudio'], signInAs: 'Online' },
  ): Promise<Reply> {
    return this.post(app._embedded.me._links.makeMeAvailable.href, body);
  }
}

/** A client whose applications URL was found through discovery. */
export async function discoveredClient(sim: UcwaSimulator): Promise<Client> {
  const client = new Client(sim);
  let root = (await (await fetch(sim.discoveryUrl)).json()) as Body;
  let base = sim.discoveryUrl;
  while (root._links.redirect && !root._links.user) {
    base = root._links.redirect.href;
    root = await (await fetch(base)).json();
  }
  const user = (await (
    await fetch(new URL(root._links.user.href, base), {
      headers: { Authorization: `Bearer ${client.token}` },
    })
  ).json()) as Body;
  client.applications = user._links.applications.href as string;
  return client;
}

/** Follows the event channel from `href` until `until` says stop; returns every batch body read. */
export async function readEvents(
  client: Client,
  href: string,
  until: (batches: Body[]) => boolean,
  maxPolls = 20,
): Promise<{ batches: Body[]; next: string }> {
  const batches: Body[] = [];
  let next = href;
  for (let i = 0; i < maxPolls; i++) {
    const reply = await client.get(withTimeout(next));
    if (reply.status !== 200) throw new Error(`events ${next}: ${reply.status} ${reply.text}`);
    batches.push(reply.body);
    const links = reply.body._links;
    next = (links.next ?? links.resume ?? links.resync).href;
    if (until(batches)) return { batches, next };
  }
  throw new Error(`condition not met after ${maxPolls} polls: ${JSON.stringify(batches)}`);
}

/** Short P-GET timeout for tests. The server remembers it, so it is only needed once, but it does no harm. */
export function withTimeout(href: string, seconds = 0.2): string {
  const url = new URL(href, 'http://x');
  if (!url.searchParams.has('timeout')) url.searchParams.set('timeout', String(seconds));
  return /^https?:/.test(href)
    ? new URL(`${url.pathname}${url.search}`, href).toString()
    : `${url.pathname}${url.search}`;
}

export interface FlatEvent {
  sender: string;
  rel: string;
  type: string;
  href: string;
  in?: string;
  status?: string;
  // biome-ignore lint/suspicious/noExplicitAny: embedded resources are inspected loosely.
  embedded?: any;
  title?: string;
  // biome-ignore lint/suspicious/noExplicitAny: the raw event.
  raw: any;
}

export function flatten(batches: Body[]): FlatEvent[] {
  const out: FlatEvent[] = [];
  for (const batch of batches) {
    for (const sender of batch.sender ?? []) {
      for (const event of sender.events) {
        out.push({
          sender: sender.rel,
          rel: event.link.rel,
          type: event.type,
          href: event.link.href,
          ...(event.in ? { in: event.in.rel } : {}),
          ...(event.status ? { status: event.status } : {}),
          ...(event._embedded ? { embedded: event._embedded[event.link.rel] } : {}),
          ...(event.link.title ? { title: event.link.title } : {}),
          raw: event,
        });
      }
    }
  }
  return out;
}

/** Path + query of an href, absolute or relative. */
export function pathOf(href: string): string {
  const url = new URL(href, 'http://x');
  return `${url.pathname}${url.search}`;
}
