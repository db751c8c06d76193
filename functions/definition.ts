import type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';

/**
 * One function, described once: the real entry point (`index.ts`) registers these with `@azure/functions`,
 * and the local host (`dev/host/`) serves the very same list, so the two can never drift apart.
 * Only type imports here: nothing of `@azure/functions` loads with a definition.
 */
export interface HttpFunction {
  kind: 'http';
  name: string;
  route: string;
  methods: ('GET' | 'POST')[];
  /** `function`: the host also demands a function key (a second layer behind bearer tokens). */
  authLevel: 'anonymous' | 'function';
  handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
}

export interface TimerFunction {
  kind: 'timer';
  name: string;
  /** NCRONTAB, six fields, UTC. */
  schedule: string;
  handler: (timer: Timer, context: InvocationContext) => Promise<void>;
}

export interface QueueFunction {
  kind: 'queue';
  name: string;
  /** A Storage queue of the `AzureWebJobsStorage` connection. */
  queueName: string;
  /** The message as the host hands it over: JSON parsed, anything else a string. */
  handler: (message: unknown, context: InvocationContext) => Promise<void>;
}

export type FunctionDefinition = HttpFunction | TimerFunction | QueueFunction;
