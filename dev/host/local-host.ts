import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  InvocationContext as ContextType,
  HttpRequest as HttpRequestType,
  HttpResponseInit,
  Timer,
} from '@azure/functions';
import functions from '@azure/functions';
import { Cron } from 'croner';
import type {
  FunctionDefinition,
  HttpFunction,
  QueueFunction,
  TimerFunction,
} from '../../functions/definition.js';
import type { StorageTarget } from '../../shared/store/storage.js';
import { type QueuePoller, startQueuePoller } from './queue-poller.js';

// `@azure/functions` is CommonJS: in plain Node ESM its classes come from the default export only.
const { HttpRequest, InvocationContext } = functions;

export interface LocalHostOptions {
  definitions: readonly FunctionDefinition[];
  port?: number;
  host?: string;
  /** Start the timers (on by default); tests drive them through the admin endpoint instead. */
  timers?: boolean;
  /** Where function logs go: `(functionName, level, message)`. */
  log?: (functionName: string, level: string, message: string) => void;
  /**
   * Called first by `close()`, as the Functions host runs `appTerminate` hooks on a graceful shutdown: runs
   * still going (the watch holds the channel for minutes) are told to stop, and `close()` then waits for them.
   */
  onClose?: () => unknown;
  /**
   * The storage the queue-triggered functions listen on (`AzureWebJobsStorage`, Azurite locally); without it
   * they are served but never triggered.
   */
  queueStorage?: StorageTarget;
  /** Largest request body accepted, like the host's limit (bytes). */
  maxBodyBytes?: number;
  /**
   * Demand this key (`x-functions-key` header or `code` query parameter) for `authLevel: 'function'` routes,
   * as the real host does; without it none is needed, as with Core Tools.
   */
  functionKey?: string;
}

export interface LocalHost {
  url: string;
  /** What the host serves: the same shape the test compares with the real entry point's registrations. */
  served: {
    name: string;
    kind: 'http' | 'timer' | 'queue';
    route?: string;
    methods?: string[];
    schedule?: string;
    queueName?: string;
  }[];
  /** Run a function now, as `POST /admin/functions/<name>` does; resolves when it finished. */
  invoke(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A small stand-in for the Azure Functions host, for local runs: HTTP functions on
 * `/api/<route>`, timers on their NCRONTAB schedules (one run at a time per function, as the host's singleton
 * timers), and the admin endpoint `POST /admin/functions/<name>` (202, no key locally, as with Core Tools).
 * Handlers receive real `HttpRequest` and `InvocationContext` objects.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log = options.log ?? ((name, level, message) => console.log(`[${name}] ${level}: ${message}`));
  const maxBodyBytes = options.maxBodyBytes ?? 100 * 1024 * 1024;
  const http = options.definitions.filter((d): d is HttpFunction => d.kind === 'http');
  const timers = options.definitions.filter((d): d is TimerFunction => d.kind === 'timer');
  const queues = options.definitions.filter((d): d is QueueFunction => d.kind === 'queue');
  const running = new Map<string, Promise<void>>();

  const context = (name: string): ContextType =>
    new InvocationContext({
      invocationId: randomUUID(),
      functionName: name,
      logHandler: (level, ...args) => log(name, level, args.map(String).join(' ')),
    });

  /** Timer runs never overlap: a trigger that fires while the previous run is still going is skipped. */
  const runTimer = (definition: TimerFunction, isPastDue = false): Promise<void> => {
    const current = running.get(definition.name);
    if (current) return current;
    const cron = new Cron(definition.schedule, { timezone: 'UTC', paused: true });
    const timer: Timer = {
      isPastDue,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: new Date().toISOString(),
        next: cron.nextRun()?.toISOString() ?? '',
        lastUpdated: new Date().toISOString(),
      },
    };
    cron.stop();
    const run = definition
      .handler(timer, context(definition.name))
      .catch((error: unknown) =>
        log(definition.name, 'error', `failed: ${(error as Error).stack ?? String(error)}`),
      )
      .finally(() => running.delete(definition.name));
    running.set(definition.name, run);
    return run;
  };

  const invoke = async (name: string): Promise<void> => {
    const definition = options.definitions.find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (!definition) throw new Error(`no function named ${name}`);
    if (definition.kind === 'timer') return runTimer(definition);
    if (definition.kind === 'queue') throw new Error(`${name} runs from its queue, ${definition.queueName}`);
    const request = new HttpRequest({
      method: definition.methods[0] ?? 'GET',
      url: 'http://localhost/admin',
    });
    await definition.handler(request, context(definition.name));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log('host', 'error', (error as Error).stack ?? String(error));
      if (!res.headersSent) problem(res, 500, 'The function failed; see the host log.');
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const admin = /^\/admin\/functions\/([^/]+)$/.exec(url.pathname);
    if (admin && req.method === 'POST') {
      const name = decodeURIComponent(admin[1] ?? '');
      if (!options.definitions.some((d) => d.name.toLowerCase() === name.toLowerCase())) {
        return problem(res, 404, `No function named ${name}.`);
      }
      await readBody(req, maxBodyBytes);
      void invoke(name).catch(() => undefined);
      res.writeHead(202).end();
      return;
    }
    if (!url.pathname.startsWith('/api/')) return problem(res, 404, 'Not found.');
    const path = url.pathname.slice('/api/'.length);
    const match = http
      .map((d) => ({ d, params: matchRoute(d.route, path) }))
      .find((m) => m.params !== undefined);
    if (!match?.params) return problem(res, 404, 'No function serves this route.');
    if (!match.d.methods.includes((req.method ?? 'GET') as 'GET' | 'POST'))
      return problem(res, 405, 'Method not allowed.');
    const key = req.headers['x-functions-key'] ?? url.searchParams.get('code');
    if (match.d.authLevel === 'function' && options.functionKey && key !== options.functionKey)
      return problem(res, 401, 'A function key is required.', !req.complete);
    if (Number(req.headers['content-length']) > maxBodyBytes)
      return problem(res, 413, 'The request body is too large.', true);
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const method = req.method ?? 'GET';
    // As the real host with HTTP streams on: the handler gets the body unread and reads only what it wants.
    const nativeRequest = new Request(url, {
      method,
      headers,
      ...(method === 'GET' || method === 'HEAD'
        ? {}
        : { body: bodyStream(req, maxBodyBytes), duplex: 'half' }),
    } as RequestInit);
    const request: HttpRequestType = new HttpRequest({
      nativeRequest,
      params: match.params,
    } as unknown as ConstructorParameters<typeof HttpRequest>[0]);
    const response = await match.d.handler(request, context(match.d.name));
    // A body the handler left unread is not read on: the connection closes after the answer.
    await send(res, response, !req.complete);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;

  const jobs =
    options.timers === false
      ? []
      : timers.map(
          (definition) =>
            new Cron(
              definition.schedule,
              { timezone: 'UTC', protect: true },
              () => void runTimer(definition),
            ),
        );

  const { queueStorage } = options;
  const pollers: QueuePoller[] = queueStorage
    ? queues.map((definition) =>
        startQueuePoller({
          storage: queueStorage,
          queueName: definition.queueName,
          handler: (message) => definition.handler(message, context(definition.name)),
          log: (level, message) => log(definition.name, level, message),
        }),
      )
    : [];

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    served: options.definitions.map((d) =>
      d.kind === 'http'
        ? { name: d.name, kind: d.kind, route: d.route, methods: [...d.methods] }
        : d.kind === 'timer'
          ? { name: d.name, kind: d.kind, schedule: d.schedule }
          : { name: d.name, kind: d.kind, queueName: d.queueName },
    ),
    invoke,
    close: async () => {
      for (const job of jobs) job.stop();
      options.onClose?.();
      await Promise.all(pollers.map((poller) => poller.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled(running.values());
    },
  };
}

/** `ucwa/events` against `ucwa/events`; `{name}` segments capture. */
function matchRoute(route: string, path: string): Record<string, string> | undefined {
  const want = route.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const actual = have[index] ?? '';
    const param = /^\{(\w+)\??\}$/.exec(segment);
    if (param?.[1]) params[param[1]] = decodeURIComponent(actual);
    else if (segment.toLowerCase() !== actual.toLowerCase()) return undefined;
  }
  return params;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The request body as a web stream that reads from the socket only when pulled; errors past `limit` bytes. */
function bodyStream(req: IncomingMessage, limit: number): ReadableStream<Uint8Array> {
  const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let size = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await chunks.next();
        if (done) return controller.close();
        size += value.length;
        if (size > limit) return controller.error(new Error('The request body is too large.'));
        controller.enqueue(new Uint8Array(value));
      },
    },
    { highWaterMark: 0 },
  );
}

async function send(res: ServerResponse, response: HttpResponseInit, close = false): Promise<void> {
  const headers = new Headers(response.headers as ConstructorParameters<typeof Headers>[0]);
  if (close) headers.set('connection', 'close');
  let body: string | Uint8Array | undefined;
  if (response.jsonBody !== undefined) {
    body = JSON.stringify(response.jsonBody);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (typeof response.body === 'string' || response.body instanceof Uint8Array) {
    body = response.body;
  }
  res.writeHead(response.status ?? 200, Object.fromEntries(headers));
  res.end(body);
}

function problem(res: ServerResponse, status: number, detail: string, close = false): void {
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(JSON.stringify({ type: 'about:blank', title: detail, status }));
}
