import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Dispatcher } from './dispatch.js';
import { errors, ucwaError } from './errors.js';
import { type FaultSet, runWithFault } from './faults.js';
import type { SimRequest, SimResponse } from './http-types.js';
import type { Recorder } from './recorder.js';
import type { Timers } from './timers.js';

const MAX_BODY = 10 * 1024 * 1024;

/** Real HTTP in front of the dispatcher: recording, global latency, faults, and writing (or dropping) the answer. */
export class HttpFrontEnd {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  latencyMs: number;

  constructor(
    private readonly deps: {
      /** The pipeline, once the simulator has started it (the listeners start first). */
      dispatcher: () => Dispatcher;
      faults: FaultSet;
      recorder: Recorder;
      timers: Timers;
    },
    latencyMs: number,
  ) {
    this.latencyMs = latencyMs;
  }

  /** Starts one listener; resolves with its origin (http://host:port). */
  async listen(host: string, port: number): Promise<string> {
    const server = createServer();
    this.servers.push(server);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const urlHost =
      address.family === 'IPv6' || host.includes(':')
        ? `[${address.address}]`
        : host === '0.0.0.0'
          ? '127.0.0.1'
          : host;
    const origin = `http://${urlHost}:${address.port}`;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.onRequest(origin, req, res).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          const failure = ucwaError(500, {
            code: 'ServiceFailure',
            message: error instanceof Error ? error.message : 'failure',
          });
          res.writeHead(failure.status, failure.headers);
          res.end(failure.body);
        }
      });
    });
    return origin;
  }

  /** Open client connections and listening servers, for leak checks. */
  get openHandles(): { connections: number; listening: number } {
    return {
      connections: this.sockets.size,
      listening: this.servers.filter((server) => server.listening).length,
    };
  }

  async close(): Promise<void> {
    const sockets = [...this.sockets];
    const socketsClosed = sockets.map(
      (socket) =>
        new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve()))),
    );
    await Promise.all([
      ...this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
      ...socketsClosed,
      ...sockets.map((socket) => {
        socket.destroy();
        return Promise.resolve();
      }),
    ]);
  }

  private async onRequest(origin: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const authorization = req.headers.authorization;
    const contentType = req.headers['content-type'];
    const record = this.deps.recorder.request({
      origin,
      method: req.method ?? 'GET',
      path: target,
      status: 0,
      ...(authorization ? { authorization } : {}),
      ...(contentType ? { contentType } : {}),
      at: this.deps.timers.now(),
    });
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) gone.abort();
    });
    const body = await readBody(req);
    if (body === undefined) {
      this.write(res, errors.badRequest(undefined, 'Request body too large.'));
      this.deps.recorder.complete(record, 413);
      return;
    }
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers))
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    let url: URL;
    try {
      url = new URL(target, origin);
    } catch {
      url = new URL('/', origin);
    }
    const simRequest: SimRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      target,
      url,
      origin,
      headers,
      body,
      batchPart: false,
      signal: gone.signal,
    };
    if (this.latencyMs > 0) await this.deps.timers.delay(this.latencyMs);
    const fault = this.deps.faults.take(simRequest);
    const dispatcher = this.deps.dispatcher();
    const response = await runWithFault(
      fault,
      this.deps.timers,
      () => dispatcher.handle(simRequest),
      () => dispatcher.unauthorized(origin),
    );
    if (response.drop) {
      req.socket.destroy();
      this.deps.recorder.complete(record, -1);
      return;
    }
    if (gone.signal.aborted || res.destroyed) {
      this.deps.recorder.complete(record, 499);
      return;
    }
    this.write(res, response);
    if (response.events && !res.destroyed) record.events = response.events;
    this.deps.recorder.complete(record, response.status);
  }

  private write(res: ServerResponse, response: SimResponse): void {
    if (res.destroyed) return;
    res.writeHead(response.status, response.headers);
    res.end(response.body);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    // An aborted upload never ends: settle with what arrived (the answer goes nowhere anyway).
    req.on('error', () => resolve(Buffer.concat(chunks)));
    req.on('close', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
  });
}
