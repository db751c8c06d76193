/**
 * The naive reference strategy the benchmarks compare against: plain `fetch` with a simulator token, one
 * request at a time, every resource read with its own GET (no `_embedded` data, no batching, no idempotency
 * store), lobbies polled on a fixed interval instead of watched through the event channel. Invitations can
 * only arrive on the event channel, so it holds one too, but reads each invitation and its sender by GET.
 * It imports nothing from the project: it runs under plain Node in the invitations child as well.
 */
import { randomUUID } from 'node:crypto';

type Json = Record<string, unknown>;

interface Reply {
  url: string;
  status: number;
  body: Json;
  location: string | undefined;
}

export class NaiveClient {
  /** Requests that failed; a clean run has none. */
  readonly problems: string[] = [];
  private eventsHref = '';
  private readonly lobbies: string[] = [];

  constructor(
    private readonly discoveryUrl: string,
    private readonly token: string,
    private readonly teamsUrl?: string,
  ) {}

  /** Discovery, a new application, makeMeAvailable, and one join per meeting down to its lobby href. */
  async start(meetingUris: readonly string[] = []): Promise<void> {
    const root = await this.request('GET', this.discoveryUrl, { auth: false });
    const user = await this.request('GET', linkOf(root, 'user'));
    const app = await this.request('POST', linkOf(user, 'applications'), {
      body: {
        UserAgent: 'naive-baseline/1.0',
        EndpointId: randomUUID(),
        Culture: 'en-US',
      },
    });
    this.eventsHref = linkOf(app, 'events');
    // The application only embeds me and communication; their own GETs give the links to follow.
    const me = await this.request('GET', embeddedSelf(app, 'me'));
    await this.request('POST', linkOf(me, 'makeMeAvailable'), {
      body: {
        SupportedModalities: ['Messaging'],
        SupportedMessageFormats: ['Plain'],
      },
    });
    const communication = await this.request('GET', embeddedSelf(app, 'communication'));
    for (const onlineMeetingUri of meetingUris) {
      const joined = await this.request('POST', linkOf(communication, 'joinOnlineMeeting'), {
        body: {
          onlineMeetingUri,
          operationId: randomUUID(),
        },
      });
      if (!joined.location) throw new Error('joinOnlineMeeting answered without Location');
      const invitation = await this.request('GET', joined.location);
      const conversation = await this.request('GET', linkOf(invitation, 'conversation'));
      this.lobbies.push(linkOf(conversation, 'lobby'));
    }
  }

  /** Every `intervalMs`: GET each lobby, GET each participant in it, eject the anonymous ones. */
  async pollLobbies(intervalMs: number, signal: AbortSignal): Promise<void> {
    for (let next = Date.now(); !signal.aborted; next += intervalMs) {
      await pause(next - Date.now(), signal);
      for (const lobbyHref of this.lobbies) {
        if (signal.aborted) return;
        const lobby = await this.request('GET', lobbyHref).catch((error: unknown) => this.failed(error));
        for (const href of lobby ? participantHrefs(lobby) : []) {
          const participant = await this.request('GET', href).catch((error: unknown) => this.failed(error));
          if (participant?.body.anonymous !== true) continue;
          const eject = optionalLink(participant, 'eject') ?? optionalLink(participant, 'reject');
          if (eject) await this.request('POST', eject).catch((error: unknown) => this.failed(error));
        }
      }
    }
  }

  /** Hold the event channel; for each incoming invitation GET it, GET its sender, post a summary to Teams. */
  async summarizeInvitations(signal: AbortSignal): Promise<void> {
    let cursor = this.eventsHref;
    while (!signal.aborted) {
      const batch = await this.request('GET', cursor, { signal }).catch((error: unknown) =>
        signal.aborted ? undefined : this.failed(error),
      );
      if (!batch) return;
      const links = (batch.body._links ?? {}) as Record<string, { href: string } | undefined>;
      const next = links.resync ?? links.resume ?? links.next;
      if (!next) throw new Error('events response without next');
      for (const event of eventsOf(batch.body)) {
        if (event.type !== 'started' || !event.rel.endsWith('Invitation')) continue;
        const invitation = await this.request('GET', new URL(event.href, batch.url).href);
        if (invitation.body.direction !== 'Incoming') continue;
        const from = optionalLink(invitation, 'from');
        const sender = from ? await this.request('GET', from) : undefined;
        await this.postSummary(invitation.body, sender?.body);
      }
      cursor = new URL(next.href, batch.url).href;
    }
  }

  private async postSummary(invitation: Json, sender: Json | undefined): Promise<void> {
    if (!this.teamsUrl) return;
    const text = `${String(invitation.rel)} from ${String(sender?.name ?? '?')} <${String(sender?.uri ?? '')}> · ${String(sender?.sourceNetwork ?? 'Unknown')}${sender?.anonymous === true ? ' · anonymous' : ''}`;
    const card = {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text, wrap: true }] },
        },
      ],
    };
    const response = await fetch(this.teamsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(card),
    });
    await response.arrayBuffer();
    if (!response.ok) this.problems.push(`chat answered ${response.status}`);
  }

  private async request(
    method: 'GET' | 'POST',
    url: string,
    { body, auth = true, signal }: { body?: Json; auth?: boolean; signal?: AbortSignal } = {},
  ): Promise<Reply> {
    const response = await fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(auth ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${url} answered ${response.status}: ${text}`);
    const location = response.headers.get('location');
    return {
      url: response.url,
      status: response.status,
      body: text ? (JSON.parse(text) as Json) : {},
      location: location ? new URL(location, response.url).href : undefined,
    };
  }

  private failed(error: unknown): undefined {
    this.problems.push(error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

function optionalLink(reply: Reply, rel: string): string | undefined {
  const links = (reply.body._links ?? {}) as Record<string, { href?: string } | undefined>;
  const href = links[rel]?.href;
  return href ? new URL(href, reply.url).href : undefined;
}

function linkOf(reply: Reply, rel: string): string {
  const href = optionalLink(reply, rel);
  if (!href) throw new Error(`${reply.url} has no ${rel} link`);
  return href;
}

/** The self href of an embedded resource: only where to GET it, none of its data. */
function embeddedSelf(reply: Reply, rel: string): string {
  const embedded = (reply.body._embedded ?? {}) as Record<string, Json | undefined>;
  const links = (embedded[rel]?._links ?? {}) as Record<string, { href?: string } | undefined>;
  const href = links.self?.href;
  if (!href) throw new Error(`${reply.url} embeds no ${rel}`);
  return new URL(href, reply.url).href;
}

/** Participant hrefs of a lobby: its `participant` links, or the self links of what it embeds. */
function participantHrefs(lobby: Reply): string[] {
  const links = (lobby.body._links ?? {}) as Record<string, unknown>;
  const embedded = (lobby.body._embedded ?? {}) as Record<string, unknown>;
  const listed = [links.participant ?? []].flat() as { href?: string }[];
  const hrefs = listed.length
    ? listed.map((link) => link.href)
    : ([embedded.participant ?? []].flat() as Json[]).map(
        (participant) => ((participant._links ?? {}) as Record<string, { href?: string }>).self?.href,
      );
  return hrefs.flatMap((href) => (href ? [new URL(href, lobby.url).href] : []));
}

function eventsOf(document: Json): { rel: string; href: string; type: string }[] {
  const senders = [document.sender ?? []].flat() as Json[];
  return senders.flatMap((sender) =>
    ([sender.events ?? []].flat() as Json[]).map((event) => {
      const link = (event.link ?? {}) as { rel?: string; href?: string };
      return { rel: link.rel ?? '', href: link.href ?? '', type: String(event.type ?? '') };
    }),
  );
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
