/**
 * The workbook (infra/app/workbook.json, deployed by infra/app/monitoring.bicep) queries only what the code
 * emits, and the docs promise only what the code emits.
 *
 * Both sides come from files, nothing is listed here: the emitted names and property keys from the
 * telemetry calls in shared/ and functions/ (./telemetry-names.ts), the workbook from the ARM template the
 * real Bicep compiler builds (so what is checked is what deploys), the promises from the docs' prose and
 * the telemetry table in docs/deploy.md.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../shared/policy/policy.js';
import { emittedTelemetry } from './telemetry-names.js';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const emitted = emittedTelemetry(repoRoot);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
const isObject = (node: Json | undefined): node is JsonObject =>
  typeof node === 'object' && node !== null && !Array.isArray(node);

interface Query {
  name: string;
  text: string;
}

/** Every object at any depth for which `match` holds. */
function find(node: Json, match: (object: JsonObject) => boolean, found: JsonObject[] = []): JsonObject[] {
  if (Array.isArray(node)) for (const item of node) find(item, match, found);
  else if (isObject(node)) {
    if (match(node)) found.push(node);
    for (const value of Object.values(node)) find(value, match, found);
  }
  return found;
}

/** Every string at any depth. */
function strings(node: Json, found: string[] = []): string[] {
  if (typeof node === 'string') found.push(node);
  else if (Array.isArray(node)) for (const item of node) strings(item, found);
  else if (isObject(node)) for (const value of Object.values(node)) strings(value, found);
  return found;
}

const quoted = (list: string) => [...list.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2] ?? '');

/**
 * What one query reads. Every `customEvents`/`customMetrics` must be followed at once by
 * `| where name == '…'` or `| where name in ('…', …)`, so no query reads a name this test cannot see.
 */
function reads(query: Query) {
  const events = new Set<string>();
  const metrics = new Set<string>();
  const unfiltered: string[] = [];
  for (const table of query.text.matchAll(/\b(customEvents|customMetrics)\b/g)) {
    const rest = query.text.slice((table.index ?? 0) + table[0].length);
    const filter = /^\s*\|\s*where\s+name\s+(?:==\s*('[^']*'|"[^"]*")|in\s*\(([^)]*)\))/.exec(rest);
    if (!filter) {
      unfiltered.push(`${query.name}: ${table[0]} without a name filter`);
      continue;
    }
    for (const name of quoted(filter[1] ?? filter[2] ?? '')) {
      (table[1] === 'customEvents' ? events : metrics).add(name);
    }
  }
  const keysOf = (column: string) =>
    new Set(
      [...query.text.matchAll(new RegExp(`\\b${column}(?:\\.(\\w+)|\\[['"]([^'"]+)['"]\\])`, 'g'))].map(
        (m) => m[1] ?? m[2] ?? '',
      ),
    );
  const exceptionTypes = [
    ...query.text.matchAll(/\|\s*where\s+type\s+(?:==\s*('[^']*'|"[^"]*")|in\s*\(([^)]*)\))/g),
  ].flatMap((m) => quoted(m[1] ?? m[2] ?? ''));
  return {
    events,
    metrics,
    unfiltered,
    dimensions: keysOf('customDimensions'),
    measurements: keysOf('customMeasurements'),
    readsExceptions: /\bexceptions\b/.test(query.text),
    exceptionTypes,
  };
}

let workbook: JsonObject | undefined;
let buildError = '';

beforeAll(async () => {
  try {
    // The compiler infra/build.mjs pins (restored on first use); `npm run infra:build` lints the same files.
    const { stdout: bin } = await run(
      process.execPath,
      [join(repoRoot, 'infra', 'build.mjs'), '--print-bin'],
      {
        cwd: repoRoot,
      },
    );
    const { stdout } = await run(
      bin.trim(),
      ['build', join(repoRoot, 'infra', 'main.bicep'), '--stdout', '--no-restore'],
      { cwd: repoRoot, maxBuffer: 32 * 1024 * 1024 },
    );
    const template = JSON.parse(stdout) as Json;
    const workbooks = find(template, (o) => o.type === 'Microsoft.Insights/workbooks');
    if (workbooks.length !== 1) throw new Error(`expected one workbook resource, found ${workbooks.length}`);
    // loadJsonContent inlines the file as a template variable; the resource serialises it.
    [workbook] = find(template, (o) => o.version === 'Notebook/1.0' && Array.isArray(o.items));
    if (!workbook) throw new Error('no Notebook/1.0 content in the compiled template');
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    // Recorded, not thrown: a throwing beforeAll would report the tests as skipped. They fail instead.
    buildError = `the template did not compile (these tests never skip): ${String(error)}\n${stdout}${stderr}`;
  }
}, 600_000);

function compiled(): JsonObject {
  if (!workbook) throw new Error(buildError || 'no workbook');
  return workbook;
}

function queries(): Query[] {
  return find(compiled(), (o) => o.type === 3 && isObject(o.content)).map((item) => {
    const content = item.content as JsonObject;
    return { name: String(item.name), text: String(content.query) };
  });
}

describe('what the code emits (read from shared/ and functions/)', () => {
  it('every telemetry call names its event or metric with literals', () => {
    expect(emitted.unreadable, 'calls whose name or properties are not literals').toEqual([]);
    expect(emitted.events.size).toBeGreaterThan(0);
    expect(emitted.metrics.size).toBeGreaterThan(0);
  });

  it('matches the TelemetryEvent and TelemetryMetric types (no call is missed through another receiver)', () => {
    expect([...emitted.events.keys()].sort()).toEqual([...emitted.declared.events].sort());
    expect([...emitted.metrics.keys()].sort()).toEqual([...emitted.declared.metrics].sort());
  });
});

describe('the workbook deployed by infra/app/monitoring.bicep', () => {
  it('compiles into the template', () => {
    expect(buildError).toBe('');
    expect(queries().length).toBeGreaterThan(10);
  });

  it('filters every customEvents and customMetrics read by name', () => {
    expect(queries().flatMap((query) => reads(query).unfiltered)).toEqual([]);
  });

  it('queries only event and metric names the code emits', () => {
    const unknown = queries().flatMap((query) => {
      const { events, metrics } = reads(query);
      return [
        ...[...events]
          .filter((name) => !emitted.events.has(name))
          .map((name) => `${query.name}: event ${name}`),
        ...[...metrics]
          .filter((name) => !emitted.metrics.has(name))
          .map((name) => `${query.name}: metric ${name}`),
      ];
    });
    expect(unknown).toEqual([]);
  });

  it('reads only properties and measurements the code sends with those names', () => {
    const unknown = queries().flatMap((query) => {
      const read = reads(query);
      const dimensions = new Set([
        ...[...read.events].flatMap((name) => [...(emitted.events.get(name)?.properties ?? [])]),
        ...[...read.metrics].flatMap((name) => [...(emitted.metrics.get(name)?.properties ?? [])]),
        ...(read.readsExceptions ? emitted.exceptionProperties : []),
      ]);
      const measurements = new Set(
        [...read.events].flatMap((name) => [...(emitted.events.get(name)?.measurements ?? [])]),
      );
      return [
        ...[...read.dimensions].filter((key) => !dimensions.has(key)).map((key) => `${query.name}: ${key}`),
        ...[...read.measurements]
          .filter((key) => !measurements.has(key))
          .map((key) => `${query.name}: measurement ${key}`),
      ];
    });
    expect(unknown).toEqual([]);
  });

  it('filters exceptions only by error classes the code declares', () => {
    const types = queries().flatMap((query) => reads(query).exceptionTypes);
    expect(types.length).toBeGreaterThan(0);
    expect(types.filter((type) => !emitted.errorClasses.has(type))).toEqual([]);
  });

  it('shows every event and metric the code emits', () => {
    const shown = new Set(
      queries().flatMap((query) => {
        const { events, metrics } = reads(query);
        return [...events, ...metrics];
      }),
    );
    const all = [...emitted.events.keys(), ...emitted.metrics.keys()];
    expect(
      all.filter((name) => !shown.has(name)),
      'add a panel to infra/app/workbook.json',
    ).toEqual([]);
  });

  it('counts as anonymous knocks the built-in policy\u2019s rules for anonymous lobby guests', () => {
    const parameter = find(compiled(), (o) => o.name === 'AnonymousRules' && 'value' in o)[0];
    const anonymousRules = DEFAULT_POLICY.rules
      .filter((rule) => rule.on === 'lobby' && rule.when?.anonymous === true && rule.action === 'eject')
      .map((rule) => rule.name);
    expect(anonymousRules.length).toBeGreaterThan(0);
    expect(String(parameter?.value).split(',')).toEqual(anonymousRules);
  });

  it('holds no string ARM would evaluate as an expression', () => {
    expect(strings(compiled()).filter((text) => text.startsWith('['))).toEqual([]);
  });
});

/** Markdown files that may promise telemetry: the README, docs/ and the READMEs in shared/. */
function docs(): string[] {
  const shared = readdirSync(join(repoRoot, 'shared'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name === 'README.md')
    .map((entry) => join(entry.parentPath, entry.name));
  const docsDir = readdirSync(join(repoRoot, 'docs'), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => join(repoRoot, 'docs', entry.name));
  return [join(repoRoot, 'README.md'), ...docsDir, ...shared];
}

/**
 * Names a text promises: the backticked PascalCase words in a phrase that starts with "custom event(s)" or
 * "metric(s)" and runs to the end of its sentence, table cell or paragraph.
 */
function promisedIn(text: string): string[] {
  const phrases = text.matchAll(/(?:custom events?|\bmetrics?)\b((?:[^.|\n]|\n(?![ \t]*\n))*)/gi);
  return [...phrases].flatMap((phrase) =>
    [...(phrase[1] ?? '').matchAll(/`([A-Z][A-Za-z0-9]+)`/g)].map((m) => m[1] ?? ''),
  );
}

interface TableRow {
  name: string;
  kind: string;
  properties: string[];
  measurements: string[];
}

/** The telemetry table of docs/deploy.md ("## Monitoring"): `| \`Name\` | event or metric | properties | measurements |`. */
function deployTable(): TableRow[] {
  const text = readFileSync(join(repoRoot, 'docs', 'deploy.md'), 'utf8');
  const section = /^## Monitoring\n([\s\S]*?)(?=^## )/m.exec(text)?.[1] ?? '';
  const names = (cell = '') => [...cell.matchAll(/`([A-Za-z0-9]+)`/g)].map((m) => m[1] ?? '').sort();
  return section
    .split('\n')
    .filter((line) => /^\| `[A-Za-z0-9]+` +\| (event|metric) +\|/.test(line))
    .map((line) => {
      const cells = line.split('|').map((cell) => cell.trim());
      return {
        name: names(cells[1])[0] ?? '',
        kind: cells[2] ?? '',
        properties: names(cells[3]),
        measurements: names(cells[4]),
      };
    });
}

describe('the docs', () => {
  it('promise only event and metric names the code emits', () => {
    const known = new Set([...emitted.events.keys(), ...emitted.metrics.keys()]);
    const promised = [
      ...docs().flatMap((file) =>
        promisedIn(readFileSync(file, 'utf8')).map((name) => ({ file: relative(repoRoot, file), name })),
      ),
      ...deployTable().map(({ name }) => ({ file: 'docs/deploy.md', name })),
    ];
    expect(promised.length, 'no promise found: is the extraction still reading the docs?').toBeGreaterThan(0);
    expect(
      promised.filter(({ name }) => !known.has(name)).map(({ file, name }) => `${file}: ${name}`),
    ).toEqual([]);
  });

  it('docs/deploy.md lists exactly the events and metrics the code emits, with their properties', () => {
    const table = deployTable();
    const documented = table.map((row) => [row.kind, row.name, row.properties, row.measurements]);
    const sent = [
      ...[...emitted.events].map(([name, keys]) => [
        'event',
        name,
        [...keys.properties].sort(),
        [...keys.measurements].sort(),
      ]),
      ...[...emitted.metrics].map(([name, keys]) => ['metric', name, [...keys.properties].sort(), []]),
    ];
    const byName = (a: unknown[], b: unknown[]) => String(a[1]).localeCompare(String(b[1]));
    expect(documented.sort(byName)).toEqual(sent.sort(byName));
  });
});
