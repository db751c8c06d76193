/** What to do to the requests matching a rule. */
export interface ProxyFaultSpec {
  /** e.g. 'PUT', 'MERGE', 'POST', 'PATCH', 'DELETE', 'GET'. MERGE and PATCH are one operation (merge entity). */
  method?: string;
  /** Any of these methods (with `method`, if both are given). */
  methods?: string[];
  /** Substring or regex, matched against the path + query as received and percent-decoded. */
  path?: string | RegExp;
  /** Answer this instead, with an Azure-Storage-like error body (503 `ServerBusy`, ...). */
  status?: number;
  /** How many matching requests it applies to; default 1, `Infinity` allowed. */
  times?: number;
  /** `after`: forward first so the request takes effect, then replace the answer (or reset). */
  phase?: 'before' | 'after';
  /** Destroy the client socket instead of answering (connection reset). */
  reset?: boolean;
  /** Delay before handling, on the proxy's timers. */
  latencyMs?: number;
  /**
   * With a 429/503 `status`: send `x-ms-retry-after-ms` (and `Retry-After`). The Azure SDK then retries after
   * this long instead of its exponential back-off (0: at once) — the fault stays a 503, only faster to exhaust.
   */
  retryAfterMs?: number;
  /** Error code in the body and `x-ms-error-code`; default from the status. */
  code?: string;
}

export interface OutageFilter {
  /** Default: every write (anything but GET and HEAD). */
  methods?: string[];
  /** Default 503. */
  status?: number;
  path?: string | RegExp;
}

/** The request as rules see it. */
export interface RequestInfo {
  method: string;
  /** `X-HTTP-Method` override, if any. */
  overrideMethod?: string;
  /** Path + query as received. */
  path: string;
}

/** A rule's decision for one request; `label` goes to the log. */
export interface Decision {
  spec: ProxyFaultSpec;
  label: string;
}

interface Rule {
  spec: ProxyFaultSpec;
  remaining: number;
  hits: number;
}

const READS = new Set(['GET', 'HEAD']);

/** MERGE entity is sent as PATCH by the Tables SDK (and as POST + X-HTTP-Method: MERGE towards Cosmos). */
function methodsOf(request: RequestInfo): Set<string> {
  const methods = new Set([request.method.toUpperCase()]);
  if (request.overrideMethod) methods.add(request.overrideMethod.toUpperCase());
  if (methods.has('PATCH')) methods.add('MERGE');
  if (methods.has('MERGE')) methods.add('PATCH');
  return methods;
}

function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function pathMatches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  const candidates = [path, decoded(path)];
  if (typeof pattern === 'string') return candidates.some((candidate) => candidate.includes(pattern));
  return candidates.some((candidate) => {
    pattern.lastIndex = 0;
    return pattern.test(candidate);
  });
}

/** Injected faults (first matching rule wins, each consumed `times` times) and outage windows. */
export class FaultRules {
  private rules: Rule[] = [];
  private outages: { until: number; filter: OutageFilter }[] = [];

  constructor(private readonly now: () => number) {}

  inject(spec: ProxyFaultSpec): { remove(): void; readonly hits: number } {
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

  outage(ms: number, filter: OutageFilter = {}): void {
    this.outages.push({ until: this.now() + ms, filter });
  }

  clear(): void {
    this.rules = [];
    this.outages = [];
  }

  /** The fault for this request, if any; counts the use. */
  take(request: RequestInfo): Decision | undefined {
    const methods = methodsOf(request);
    for (const rule of this.rules) {
      const { spec } = rule;
      if (rule.remaining <= 0) continue;
      const wanted = [...(spec.method ? [spec.method] : []), ...(spec.methods ?? [])];
      if (wanted.length > 0 && !wanted.some((method) => methods.has(method.toUpperCase()))) continue;
      if (!pathMatches(spec.path, request.path)) continue;
      rule.remaining -= 1;
      rule.hits += 1;
      if (rule.remaining <= 0) this.rules = this.rules.filter((candidate) => candidate !== rule);
      return { spec, label: labelOf(spec) };
    }
    const now = this.now();
    this.outages = this.outages.filter((outage) => outage.until > now);
    for (const { filter } of this.outages) {
      const applies = filter.methods
        ? filter.methods.some((method) => methods.has(method.toUpperCase()))
        : ![...methods].every((method) => READS.has(method));
      if (!applies || !pathMatches(filter.path, request.path)) continue;
      const status = filter.status ?? 503;
      return { spec: { status }, label: `outage ${status}` };
    }
    return undefined;
  }
}

function labelOf(spec: ProxyFaultSpec): string {
  const effect = spec.reset ? 'reset' : spec.status ? String(spec.status) : 'latency';
  const latency = spec.latencyMs ? ` +${spec.latencyMs}ms` : '';
  return `${effect} ${spec.phase ?? 'before'}${latency}`;
}
