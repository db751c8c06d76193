import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { type LocalHost, startLocalHost } from '../../dev/host/local-host.js';
import type { FunctionDefinition } from '../../functions/definition.js';
import { healthReportHandler, publicHealthHandler } from '../../functions/health.js';
import { httpHandler } from '../../functions/http-adapter.js';
import { functionDefinitions } from '../../functions/registry.js';
import { DEFAULT_ACCOUNT } from '../../shared/app/accounts.js';
import { JobBoard } from '../../shared/app/health.js';
import { previewDecision, receiveEvents } from '../../shared/app/http-api.js';
import { type PushWorld, type PushWorldOptions, startPushWorld } from '../helpers/pushed-events.js';

/**
 * The attack matrix's target: the real function definitions (routes, methods, auth levels, handlers) served
 * by the local host, which demands a function key as the real host does, over a gatekeeper wired to the UCWA
 * simulator, the local chat sink, Azurite and the local identity provider.
 */
export interface Gate extends PushWorld {
  host: LocalHost;
  functionKey: string;
  /** The timer jobs' board behind the health functions. */
  board: JobBoard;
  /** What the functions logged through the host (`context.log`, `context.error`, unhandled failures). */
  hostLog: string[];
  /** Requests that reached Azure Tables and Blobs (through the world's storage proxies). */
  storageRequests(): number;
  /** What happened so far, to show later that an attack changed nothing. */
  mark(): Mark;
  /** Nothing happened since `mark`: no UCWA request, no action, no chat message; no secret in `outputs`. */
  expectNothingSince(mark: Mark, ...outputs: unknown[]): void;
  /** The service account's password and every bearer token minted so far: none may ever be echoed. */
  secrets(): string[];
  close(): Promise<void>;
}

export interface Mark {
  ucwaRequests: number;
  actions: number;
  chat: number;
}

export async function startGate(options: PushWorldOptions = {}): Promise<Gate> {
  const pw = await startPushWorld({ storageProxies: true, ...options });
  const rt = async () => pw.world.rt;
  const board = new JobBoard();
  const handlers: Record<string, FunctionDefinition['handler']> = {
    ucwaEvents: httpHandler(receiveEvents, rt),
    inspect: httpHandler(previewDecision, rt),
    health: publicHealthHandler(board),
    healthReport: healthReportHandler(
      () => ({
        accounts: () => ({
          accounts: [{ id: DEFAULT_ACCOUNT, settings: pw.world.rt.settings, own: new Set() }],
          problems: [],
        }),
        runtimeOf: rt,
      }),
      { UCWA_DISCOVERY_URL: pw.world.sim.discoveryUrl },
      board,
    ),
  };
  const definitions = functionDefinitions.map((definition) => {
    const handler = handlers[definition.name];
    return handler ? ({ ...definition, handler } as FunctionDefinition) : definition;
  });
  const functionKey = `key-${randomUUID()}`;
  const hostLog: string[] = [];
  const host = await startLocalHost({
    definitions,
    port: 0,
    timers: false,
    functionKey,
    log: (name, level, message) => hostLog.push(`[${name}] ${level}: ${message}`),
  });
  const minted: string[] = [];
  const remember = async (token: Promise<string>) => {
    const value = await token;
    minted.push(value);
    return value;
  };
  const { sim, chat } = pw.world;
  const secrets = () => [...minted, functionKey];
  return {
    ...pw,
    eventsToken: (claims) => remember(pw.eventsToken(claims)),
    inspectToken: (claims) => remember(pw.inspectToken(claims)),
    host,
    functionKey,
    board,
    hostLog,
    storageRequests: () =>
      (pw.world.storage?.table.log.length ?? 0) + (pw.world.storage?.blob.log.length ?? 0),
    mark: () => ({
      ucwaRequests: sim.requests.length,
      actions: sim.actions.length,
      chat: chat.received.length,
    }),
    expectNothingSince(mark, ...outputs) {
      expect(sim.requests.slice(mark.ucwaRequests), 'UCWA requests').toEqual([]);
      expect(sim.actions.slice(mark.actions), 'UCWA actions').toEqual([]);
      expect(chat.received.slice(mark.chat), 'chat messages').toEqual([]);
      expectNoSecret(secrets(), ...outputs);
    },
    secrets,
    async close() {
      await host.close();
      await pw.close();
    },
  };
}

/** None of `secrets` appears in any of `outputs` (strings, or anything JSON can show). */
export function expectNoSecret(secrets: readonly string[], ...outputs: unknown[]): void {
  const text = outputs
    .map((output) => (typeof output === 'string' ? output : JSON.stringify(output)))
    .join('\n');
  for (const secret of secrets) expect(text.includes(secret), 'a secret in the output').toBe(false);
}

export interface StreamedAnswer {
  status: number;
  body: string;
  /** Bytes the client had handed to the socket when the answer's headers arrived. */
  sentBeforeAnswer: number;
  total: number;
}

/**
 * POSTs `total` bytes with chunked transfer encoding (no Content-Length), produced only as the socket takes
 * them, and reports how much had been sent when the answer came: a server that reads everything before
 * answering has taken all of it.
 */
export function postChunked(
  url: string,
  headers: Record<string, string>,
  total: number,
): Promise<StreamedAnswer> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let produced = 0;
  const body = new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      produced += chunk.length;
      this.push(chunk);
    },
  });
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: 'POST',
      headers: { ...headers, 'transfer-encoding': 'chunked' },
    });
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      const sentBeforeAnswer = produced;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (data: string) => {
        text += data;
      });
      response.on('end', () => {
        body.destroy();
        resolve({ status: response.statusCode ?? 0, body: text, sentBeforeAnswer, total });
      });
      response.on('error', reject);
    });
    // Once answered, the server closes the connection: the rest of the upload fails, as it should.
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    body.pipe(request);
  });
}
