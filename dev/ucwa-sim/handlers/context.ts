import { errors } from '../errors.js';
import { isJsonMediaType, mediaType, type SimRequest, type SimResponse } from '../http-types.js';
import type { Application } from '../model.js';
import type { RenderContext } from '../render-context.js';
import type { World } from '../world.js';

export interface HandlerContext {
  world: World;
  app: Application;
  req: SimRequest;
  r: RenderContext;
}

export type Handler = (ctx: HandlerContext) => SimResponse | Promise<SimResponse>;

/** A resource below an application: the scope-table name and what each method does. */
export interface ResolvedRoute {
  scope: string;
  methods: Partial<Record<string, Handler>>;
}

export type JsonBody = { ok: true; value: Record<string, unknown> } | { ok: false; response: SimResponse };

/** A flat JSON property bag; an empty body counts as `{}`. Wrong media type → 415, bad JSON → 400. */
export function readJsonBody(req: SimRequest): JsonBody {
  const text = req.body.toString('utf8').trim();
  if (text === '') return { ok: true, value: {} };
  const contentType = req.headers['content-type'];
  if (!isJsonMediaType(contentType)) {
    return {
      ok: false,
      response: errors.unsupportedMediaType(
        `Expected application/json, got ${mediaType(contentType) || 'no Content-Type'}.`,
      ),
    };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { ok: false, response: errors.deserialization('The body must be a JSON object.') };
    }
    return { ok: true, value: value as Record<string, unknown> };
  } catch {
    return { ok: false, response: errors.deserialization() };
  }
}

/** Property lookup that accepts camelCase and PascalCase keys alike (task pages send PascalCase). */
export function prop(body: Record<string, unknown>, name: string): unknown {
  if (name in body) return body[name];
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(body)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

export function stringProp(body: Record<string, unknown>, name: string): string | undefined {
  const value = prop(body, name);
  return typeof value === 'string' ? value : undefined;
}

export function stringArrayProp(body: Record<string, unknown>, name: string): string[] | undefined {
  const value = prop(body, name);
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

/** operationId from the query (`operationId`, or the task page's `OperationContext`) or the body. */
export function operationIdOf(req: SimRequest, body?: Record<string, unknown>): string | undefined {
  const query = req.url.searchParams;
  return (
    query.get('operationId') ??
    query.get('OperationId') ??
    query.get('OperationContext') ??
    (body ? stringProp(body, 'operationId') : undefined) ??
    undefined
  );
}
