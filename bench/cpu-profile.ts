/**
 * Where a cold start's CPU time goes, by package: a V8 CPU profile (`node --cpu-prof`) of one extra cold start,
 * its samples mapped through the bundle's source maps (dist/bundle/*.js.map) to the file each function came
 * from, and summed per npm package (or project folder) within a time window (the import; the first request).
 * The profile's timestamps are on the monotonic clock `process.hrtime` reads (µs), so the child can name the
 * windows. Sampling slows the process somewhat: the shares are the figure, not the milliseconds.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
  /** Samples by source line (1-based) within the function. */
  positionTicks?: { line: number; ticks: number }[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** µs on the profile's clock (process.hrtime.bigint() / 1000). */
export interface Window {
  from: number;
  to: number;
}

export interface Share {
  what: string;
  ms: number;
}

export interface Size {
  what: string;
  kb: number;
}

export interface BundleComposition {
  eagerKb: number;
  lazyKb: number;
  /** KB of generated code by package, largest first. */
  eager: Size[];
  lazy: Size[];
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Per generated line, the segments [generated column, source index], from a source map's `mappings`. */
export function decodeMappings(mappings: string): [number, number][][] {
  const lines: [number, number][][] = [];
  let source = 0;
  for (const line of mappings.split(';')) {
    const segments: [number, number][] = [];
    let column = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0] ?? 0;
      if (values.length >= 4) {
        source += values[1] ?? 0;
        segments.push([column, source]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

interface SourceMap {
  sources: string[];
  lines: [number, number][][];
}

/** The npm package (node_modules/<name> or <@scope/name>) or project folder a source path belongs to. */
export function ownerOf(path: string): string {
  // Packages shipped pre-bundled by webpack (@azure/functions) name their sources webpack://<package>/….
  if (path.startsWith('webpack://')) {
    const [first, second] = path.slice('webpack://'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? path);
  }
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [first, second] = path.slice(modules + 'node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? path);
  }
  const parts = path.replace(/^(\.\.\/)+/, '').split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
}

const LOADING = 'node: loading modules (read, parse, compile)';

/** What a frame outside the bundle is. */
function categoryOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (
    url.startsWith('node:internal/modules') ||
    url === 'node:internal/encoding' ||
    url.startsWith('node:internal/deps/cjs-module-lexer')
  )
    return LOADING;
  if (url.startsWith('node:')) return 'node: built-ins';
  return url;
}

/**
 * CPU ms per owner within each window, largest first. A sample in the bundle's code counts for the package
 * the code came from (a module's top level by the lines its ticks fell on); a sample in Node's own code or
 * in native code counts for the nearest bundle function up its stack, else for what it is (loading modules,
 * the garbage collector, idle).
 */
export async function sharesOf(profile: CpuProfile, windows: readonly Window[]): Promise<Share[][]> {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = async (url: string): Promise<SourceMap | undefined> => {
    if (!maps.has(url)) {
      try {
        const raw = JSON.parse(await readFile(`${fileURLToPath(url)}.map`, 'utf8')) as {
          sources: string[];
          mappings: string;
        };
        maps.set(url, { sources: raw.sources, lines: decodeMappings(raw.mappings) });
      } catch {
        maps.set(url, undefined);
      }
    }
    return maps.get(url);
  };
  /** The owner of generated (line, column) of a bundle file; the first mapping on the line without a column. */
  const ownerAt = async (url: string, line: number, column?: number): Promise<string | undefined> => {
    const map = await mapOf(url);
    const segments = map?.lines[line] ?? [];
    let found = column === undefined ? segments[0]?.[1] : undefined;
    if (column !== undefined)
      for (const [at, source] of segments) {
        if (at > column) break;
        found = source;
      }
    const source = found === undefined ? undefined : map?.sources[found];
    return source === undefined ? undefined : ownerOf(source);
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  /** Each node's self time split among owners (weights summing to 1). */
  const split = new Map<number, [string, number][]>();
  for (const node of profile.nodes) {
    const { url, functionName, lineNumber, columnNumber } = node.callFrame;
    if (url.startsWith('file:')) {
      const ticks = node.positionTicks ?? [];
      const total = ticks.reduce((sum, tick) => sum + tick.ticks, 0);
      if (total > 0) {
        const weights = new Map<string, number>();
        for (const tick of ticks) {
          const owner = (await ownerAt(url, tick.line - 1)) ?? 'bundle (unmapped)';
          weights.set(owner, (weights.get(owner) ?? 0) + tick.ticks / total);
        }
        split.set(node.id, [...weights]);
      } else split.set(node.id, [[(await ownerAt(url, lineNumber, columnNumber)) ?? 'bundle (unmapped)', 1]]);
      continue;
    }
    // The nearest caller decides: a bundle function, or the module loader (reading and compiling a module).
    let owner = categoryOf(url, functionName) === LOADING ? LOADING : undefined;
    let caller = parents.get(node.id);
    while (caller !== undefined && owner === undefined) {
      const frame = byId.get(caller)?.callFrame;
      if (frame?.url.startsWith('file:'))
        owner = (await ownerAt(frame.url, frame.lineNumber, frame.columnNumber)) ?? 'bundle (unmapped)';
      else if (frame && categoryOf(frame.url, frame.functionName) === LOADING) owner = LOADING;
      caller = parents.get(caller);
    }
    split.set(node.id, [[owner ?? categoryOf(url, functionName), 1]]);
  }
  const totals = windows.map(() => new Map<string, number>());
  let at = profile.startTime;
  for (const [index, id] of profile.samples.entries()) {
    at += profile.timeDeltas[index] ?? 0;
    // A sample stands for the interval up to the next one.
    const ms = (profile.timeDeltas[index + 1] ?? 0) / 1000;
    for (const [w, window] of windows.entries()) {
      if (at < window.from || at > window.to) continue;
      const total = totals[w];
      for (const [owner, weight] of split.get(id) ?? [['?', 1]])
        total?.set(owner, (total.get(owner) ?? 0) + ms * weight);
    }
  }
  return totals.map((total) =>
    [...total].map(([what, ms]) => ({ what, ms: Math.round(ms * 10) / 10 })).sort((a, b) => b.ms - a.ms),
  );
}

/**
 * What the bundle is made of, by package: bytes of generated code attributed through the source maps, for the
 * files an import loads at once (main.js and its static imports) and for those loaded only on demand
 * (reached through `import()`). Parsing and compiling is most of an import's CPU time, and it grows with the
 * bytes loaded at once.
 */
export async function bundleComposition(entry: string): Promise<BundleComposition> {
  const dir = entry.slice(0, entry.lastIndexOf('/') + 1);
  const kind = new Map<string, 'eager' | 'lazy'>([[entry.slice(dir.length), 'eager']]);
  const queue = [entry.slice(dir.length)];
  const sizes = { eager: new Map<string, number>(), lazy: new Map<string, number>() };
  while (queue.length > 0) {
    const file = queue.shift() ?? '';
    const how = kind.get(file) ?? 'lazy';
    const code = await readFile(`${dir}${file}`, 'utf8');
    for (const match of code.matchAll(/(?:from|import)\s*(\()?\s*"\.\/([^"]+\.js)"/g)) {
      const target = match[2] ?? '';
      const next = how === 'eager' && !match[1] ? 'eager' : 'lazy';
      if (kind.get(target) === 'eager' || kind.get(target) === next) continue;
      kind.set(target, next);
      queue.push(target);
    }
    const map = await readFile(`${dir}${file}.map`, 'utf8')
      .then((raw) => JSON.parse(raw) as { sources: string[]; mappings: string })
      .catch(() => undefined);
    const lines = map ? decodeMappings(map.mappings) : [];
    const total = sizes[how];
    for (const [index, text] of code.split('\n').entries()) {
      const segments = lines[index] ?? [];
      let covered = 0;
      for (const [at, [column, source]] of segments.entries()) {
        const end = segments[at + 1]?.[0] ?? text.length + 1;
        const owner = ownerOf(map?.sources[source] ?? '?');
        total.set(owner, (total.get(owner) ?? 0) + Math.max(0, end - column));
        covered += Math.max(0, end - column);
      }
      total.set('bundle (unmapped)', (total.get('bundle (unmapped)') ?? 0) + text.length + 1 - covered);
    }
  }
  const shares = (total: Map<string, number>): Size[] =>
    [...total]
      .map(([what, bytes]) => ({ what, kb: Math.round(bytes / 102.4) / 10 }))
      .sort((a, b) => b.kb - a.kb);
  const kb = (total: Map<string, number>) =>
    Math.round([...total.values()].reduce((a, b) => a + b, 0) / 1024);
  return {
    eager: shares(sizes.eager),
    lazy: shares(sizes.lazy),
    eagerKb: kb(sizes.eager),
    lazyKb: kb(sizes.lazy),
  };
}
