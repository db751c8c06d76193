import { appendFile, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { ADAPTIVE_CARDS_BUNDLE, chatPage, type ShownMessage } from './page.js';

/**
 * A local stand-in for Teams Workflows, Slack and a generic JSON webhook: it keeps every payload it accepts
 * so people and tests can look at them, checks webhook signatures, and fails on command to simulate an outage.
 */

export type ChatChannel = 'teams' | 'slack' | 'webhook';

export interface ReceivedMessage {
  channel: ChatChannel;
  receivedAt: string;
  /** Path and query as requested (the local sink has no secrets). */
  path: string;
  /** The headers worth looking at: content type, user agent, and the Standard Webhooks id, time and signature. */
  headers: Record<string, string>;
  /** The JSON body, parsed. */
  body: unknown;
  /** The body exactly as received. */
  raw: string;
}

export interface RejectedMessage {
  channel: ChatChannel;
  status: number;
  reason: string;
}

export interface ChatSinkOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * The `whsec_` secret: `/webhook` then verifies Standard Webhooks signatures with the stock library (which
   * allows five minutes of clock skew) and answers 401 when one does not verify.
   */
  secret?: string;
  /** Clock for `receivedAt`, in milliseconds. */
  now?: () => number;
  /** Also append every accepted message to this JSON Lines file. */
  jsonlPath?: string;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface FailOptions {
  /** Sent as the Retry-After header. */
  retryAfter?: string;
}

export interface ChatSinkServer {
  url: string;
  teamsUrl: string;
  slackUrl: string;
  webhookUrl: string;
  /** Every accepted message, oldest first (a live view). */
  readonly received: readonly ReceivedMessage[];
  /** Messages refused for a bad payload or signature (not injected faults). */
  readonly rejected: readonly RejectedMessage[];
  /** Answer the next `count` posts with `status` (default 503) instead of accepting them. */
  fail(count: number, status?: number, options?: FailOptions): void;
  /** Refuse every post until `up()`: reset the connection, or answer `status` when given. */
  down(status?: number): void;
  /** Accept posts but never answer until `up()` or `close()` (for timeout tests). */
  stall(): void;
  up(): void;
  /** Forget what was received. */
  clear(): void;
  close(): Promise<void>;
}

const KEPT_HEADERS = ['content-type', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature'];
const CHANNELS = new Set<string>(['teams', 'slack', 'webhook']);

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  body = '',
  headers: Record<string, string> = {},
): void {
  const type =
    body.startsWith('{') || body.startsWith('[') ? 'application/json' : 'text/plain; charset=utf-8';
  response.writeHead(status, { 'content-type': type, ...headers });
  response.end(body);
}

/** What the real service would refuse with 400, so tests see permanent failures for malformed payloads. */
function payloadProblem(channel: ChatChannel, body: unknown): string | undefined {
  const value = body as Record<string, unknown> | null;
  if (!value || typeof value !== 'object') return 'invalid_payload';
  if (channel === 'teams') {
    const attachment = (value.attachments as Array<Record<string, unknown>> | undefined)?.[0];
    if (value.type !== 'message' || attachment?.contentType !== 'application/vnd.microsoft.card.adaptive') {
      return 'expected a message with an Adaptive Card attachment';
    }
  }
  if (channel === 'slack' && typeof value.text !== 'string' && !Array.isArray(value.blocks)) return 'no_text';
  return undefined;
}

/** Node keeps repeated headers as arrays; the verifier wants one string per name. */
function singleValued(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** A received message for the page, newest first. */
function shown(message: ReceivedMessage): ShownMessage {
  return {
    channel: message.channel,
    body: message.body,
    ...(message.channel === 'webhook' && { headers: message.headers }),
    caption: `${message.channel} · ${message.receivedAt}`,
  };
}

export async function startChatSink(options: ChatSinkOptions = {}): Promise<ChatSinkServer> {
  const received: ReceivedMessage[] = [];
  const rejected: RejectedMessage[] = [];
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  const now = options.now ?? Date.now;
  let failures: { count: number; status: number; retryAfter?: string } | undefined;
  let mode: { kind: 'up' } | { kind: 'down'; status?: number } | { kind: 'stall' } = { kind: 'up' };
  const stalled = new Set<ServerResponse>();
  const verifier = options.secret === undefined ? undefined : new Webhook(options.secret);

  async function accept(channel: ChatChannel, request: IncomingMessage, response: ServerResponse) {
    if (mode.kind === 'stall') {
      stalled.add(response);
      response.on('close', () => stalled.delete(response));
      return;
    }
    if (mode.kind === 'down') {
      if (mode.status === undefined) request.socket.destroy();
      else send(response, mode.status, 'down');
      return;
    }
    if (failures && failures.count > 0) {
      const { status, retryAfter } = failures;
      failures.count -= 1;
      // Echo the path like some real services do, so tests can check that senders scrub it.
      send(
        response,
        status,
        `injected failure for ${request.url}`,
        retryAfter ? { 'retry-after': retryAfter } : {},
      );
      return;
    }
    let raw: Buffer;
    try {
      raw = await readBody(request, limit);
    } catch (error) {
      if (error instanceof BodyTooLarge)
        return send(response, 413, 'payload_too_large', { connection: 'close' });
      throw error;
    }
    const refuse = (status: number, reason: string) => {
      rejected.push({ channel, status, reason });
      send(response, status, reason);
    };
    if (verifier && channel === 'webhook') {
      try {
        verifier.verify(raw.toString('utf8'), singleValued(request.headers));
      } catch (error) {
        return refuse(401, `signature: ${(error as Error).message}`);
      }
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return refuse(400, 'invalid_payload');
    }
    const problem = payloadProblem(channel, body);
    if (problem) return refuse(400, problem);

    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const message: ReceivedMessage = {
      channel,
      receivedAt: new Date(now()).toISOString(),
      path: request.url ?? '/',
      headers,
      body,
      raw: raw.toString('utf8'),
    };
    received.push(message);
    if (options.jsonlPath) await appendFile(options.jsonlPath, `${JSON.stringify(message)}\n`);
    if (channel === 'teams') send(response, 202);
    else if (channel === 'slack') send(response, 200, 'ok');
    else send(response, 200, '{"ok":true}');
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://chat-sink.local');
    const first = url.pathname.split('/')[1] ?? '';
    const handle = async () => {
      if (request.method === 'GET' && url.pathname === '/received') {
        const channel = url.searchParams.get('channel');
        const list = channel ? received.filter((message) => message.channel === channel) : received;
        return send(response, 200, JSON.stringify(list));
      }
      if (request.method === 'GET' && url.pathname === '/') {
        const page = chatPage(received.map(shown).reverse(), {
          title: 'Chat sink',
          adaptiveCardsSrc: '/assets/adaptivecards.min.js',
          live: { count: received.length },
        });
        return send(response, 200, page, { 'content-type': 'text/html; charset=utf-8' });
      }
      if (request.method === 'GET' && url.pathname === '/assets/adaptivecards.min.js') {
        const script = await readFile(ADAPTIVE_CARDS_BUNDLE, 'utf8');
        return send(response, 200, script, { 'content-type': 'text/javascript; charset=utf-8' });
      }
      if (request.method === 'DELETE' && url.pathname === '/received') {
        received.length = 0;
        return send(response, 204);
      }
      if (!CHANNELS.has(first)) return send(response, 404, 'not found');
      if (request.method !== 'POST') return send(response, 405, 'method not allowed', { allow: 'POST' });
      return accept(first as ChatChannel, request, response);
    };
    handle().catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, error instanceof Error ? error.message : 'error');
      else response.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  return {
    url,
    teamsUrl: `${url}/teams`,
    slackUrl: `${url}/slack`,
    webhookUrl: `${url}/webhook`,
    received,
    rejected,
    fail(count, status = 503, failOptions = {}) {
      failures = {
        count,
        status,
        ...(failOptions.retryAfter !== undefined && { retryAfter: failOptions.retryAfter }),
      };
    },
    down(status) {
      mode = status === undefined ? { kind: 'down' } : { kind: 'down', status };
    },
    stall() {
      mode = { kind: 'stall' };
    },
    up() {
      mode = { kind: 'up' };
      failures = undefined;
      for (const response of stalled) response.destroy();
      stalled.clear();
    },
    clear() {
      received.length = 0;
      rejected.length = 0;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        for (const response of stalled) response.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
