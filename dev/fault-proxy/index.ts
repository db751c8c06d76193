/**
 * A fault-injecting reverse proxy for one storage endpoint (Azurite's table or blob service): requests are
 * forwarded byte for byte — path, query, Host and every signed header unchanged, bodies streamed both ways —
 * unless a rule says to fail them first, fail them after they took effect, reset the connection or delay them.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { drain, endToEnd } from './http-parts.js';
import { FaultRules } from './rules.js';
import { storageError } from './storage-errors.js';
import type { FaultProxy, FaultProxyOptions, ProxyLogEntry, ProxyTimers } from './types.js';

export { proxiedConnectionString } from './connection-string.js';
export type { OutageFilter, ProxyFaultSpec } from './rules.js';
export type { FaultProxy, FaultProxyOptions, ProxyLogEntry, ProxyTimers } from './types.js';

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error(`fault proxy: only http targets (got ${options.target})`);
  const now = options.now ?? Date.now;
  const timers: ProxyTimers = options.timers ?? {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
  const rules = new FaultRules(now);
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();
  const upstreams = new Set<ReturnType<typeof request>>();
  const waits = new Map<unknown, () => void>();
  const agent = new Agent({ keepAlive: true });
  let closed = false;

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const handle = timers.setTimeout(() => {
        waits.delete(handle);
        resolve();
      }, ms);
      waits.set(handle, resolve);
    });

  const forward = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const upstream = request(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: endToEnd(req.rawHeaders),
          agent,
        },
        resolve,
      );
      upstreams.add(upstream);
      upstream.on('close', () => upstreams.delete(upstream));
      upstream.on('error', reject);
      // The client went away: so does the upstream request.
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      req.pipe(upstream);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse, entry: ProxyLogEntry) => {
    const overrideMethod = req.headers['x-http-method'];
    const decision = rules.take({
      method: entry.method,
      path: entry.path,
      ...(typeof overrideMethod === 'string' ? { overrideMethod } : {}),
    });
    const spec = decision?.spec;
    if (decision) entry.fault = decision.label;
    if (spec?.latencyMs) await delay(spec.latencyMs);
    if (closed) {
      req.socket.destroy();
      entry.status = -1;
      return;
    }
    const fails = spec && (spec.reset || spec.status !== undefined);
    if (spec && fails) {
      if ((spec.phase ?? 'before') === 'after') await drain(await forward(req, res));
      else if (!spec.reset) await drain(req);
      if (spec.reset) {
        req.socket.destroy();
        entry.status = -1;
        return;
      }
      const status = spec.status ?? 503;
      const answer = storageError(status, req.headers.accept, {
        ...(spec.code ? { code: spec.code } : {}),
        ...(spec.retryAfterMs !== undefined ? { retryAfterMs: spec.retryAfterMs } : {}),
      });
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      entry.status = status;
      return;
    }
    const upstream = await forward(req, res);
    entry.status = upstream.statusCode ?? 502;
    res.writeHead(entry.status, upstream.statusMessage, endToEnd(upstream.rawHeaders));
    await pipeline(upstream, res);
  };

  const server = createServer();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const entry: ProxyLogEntry = { at: now(), method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    log.push(entry);
    handle(req, res, entry).catch(() => {
      // The target failed or the client left mid-stream: a gateway error if nothing was sent yet.
      if (!res.headersSent && !res.destroyed) {
        entry.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('fault proxy: the target did not answer');
      } else res.destroy();
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
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host}:${address.port}${target.pathname.replace(/\/+$/, '')}`,
    inject: (spec) => rules.inject(spec),
    outage: (ms, filter) => rules.outage(ms, filter),
    clear: () => rules.clear(),
    log,
    openHandles: () => ({
      listening: server.listening ? 1 : 0,
      connections: sockets.size,
      upstream:
        upstreams.size +
        [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)]
          .flat()
          .filter((socket) => socket && !socket.destroyed).length,
      timers: waits.size,
    }),
    close: () => {
      closing ??= (async () => {
        closed = true;
        rules.clear();
        for (const [handle, resume] of waits) {
          timers.clearTimeout(handle);
          resume();
        }
        waits.clear();
        const upstreamSockets = [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)].flat();
        // Destroyed sockets report 'close' a turn later: wait for it, so nothing is left when this resolves.
        const gone = [...sockets, ...upstreamSockets].map((socket) =>
          socket && !socket.closed
            ? new Promise<void>((resolve) => socket.once('close', () => resolve()))
            : undefined,
        );
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
        for (const upstream of upstreams) upstream.destroy();
        agent.destroy();
        await Promise.all([serverClosed, ...gone]);
      })();
      return closing;
    },
  };
}
