import { STATUS_CODES } from 'node:http';
import { codeForStatus, proxyError, ucwaError } from './errors.js';
import { JSON_TYPE, type SimRequest, type SimResponse } from './http-types.js';
import type { Timers } from './timers.js';
import type { FaultHandle, FaultSpec, Faults } from './types.js';

interface Rule {
  spec: FaultSpec;
  remaining: number;
  hits: number;
}

/** Injected failures (sim.faults): matched per request, consumed `times` times, first matching rule wins. */
export class FaultSet implements Faults {
  private rules: Rule[] = [];

  inject(spec: FaultSpec): FaultHandle {
    const rule: Rule = { spec, remaining: spec.times ?? 1, hits: 0 };
    this.rules.push(rule);
    return {
      remove: () => {
        this.rules = this.rules.filter((candidate) => candidate !== rule);
      },
      get hits() {
        return rule.hits;
      },
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** The rule that applies to this request, if any (its use is counted). */
  take(req: SimRequest): FaultSpec | undefined {
    for (const rule of this.rules) {
      const spec = rule.spec;
      if (rule.remaining <= 0) continue;
      if (req.batchPart && spec.outerOnly) continue;
      if (spec.method && spec.method.toUpperCase() !== req.method) continue;
      const matches =
        typeof spec.path === 'string' ? req.target.includes(spec.path) : spec.path.test(req.target);
      if (!matches) continue;
      rule.remaining -= 1;
      rule.hits += 1;
      if (rule.remaining <= 0) this.rules = this.rules.filter((candidate) => candidate !== rule);
      return spec;
    }
    return undefined;
  }
}

export function faultResponse(spec: FaultSpec, status: number, unauthorized: () => SimResponse): SimResponse {
  let response: SimResponse;
  if (spec.html) response = proxyError(status, STATUS_CODES[status] ?? 'Error');
  else if (status === 401 && !spec.code) response = unauthorized();
  else {
    response = ucwaError(status, {
      code: spec.code ?? codeForStatus(status),
      subcode: spec.subcode,
      message: 'Injected fault.',
    });
  }
  if (spec.retryAfter !== undefined) response.headers['Retry-After'] = spec.retryAfter;
  return response;
}

/** 200 with the first half of the real JSON body (or a fragment when there was none). */
export function malformed(response: SimResponse): SimResponse {
  const text = response.body === undefined ? '' : response.body.toString();
  const broken = text.length > 2 ? text.slice(0, Math.floor(text.length / 2)) : '{"_links":{"self":';
  return { status: 200, headers: { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-cache' }, body: broken };
}

/** Runs `exec` under a fault: `before` replaces the handling, `after` lets it take effect first. */
export async function runWithFault(
  spec: FaultSpec | undefined,
  timers: Timers,
  exec: () => Promise<SimResponse>,
  unauthorized: () => SimResponse,
): Promise<SimResponse> {
  if (!spec) return exec();
  if (spec.latencyMs) await timers.delay(spec.latencyMs);
  const failure = (): SimResponse | undefined => {
    if (spec.drop) return { status: 0, headers: {}, drop: true };
    if (spec.status) return faultResponse(spec, spec.status, unauthorized);
    return undefined;
  };
  if ((spec.phase ?? 'before') === 'before') {
    const early = failure();
    if (early) return early;
    const response = await exec();
    return spec.malformedJson ? malformed(response) : response;
  }
  const response = await exec();
  const late = failure();
  if (late) return late;
  return spec.malformedJson ? malformed(response) : response;
}
