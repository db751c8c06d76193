/**
 * What the code sends to Application Insights, read from the source with the TypeScript parser: every
 * `<…>telemetry.event(…)`, `.metric(…)` and `.exception(…)` call in shared/ and functions/, with the names its
 * first argument can take (string literals, also inside a conditional) and the keys of its property and
 * measurement object literals. A call whose name cannot be read this way is reported, never skipped, so
 * the lists below cannot silently miss one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface Emitted {
  /** Custom event name → property keys (customDimensions) and measurement keys (customMeasurements). */
  events: Map<string, { properties: Set<string>; measurements: Set<string> }>;
  /** Metric name → property keys (customDimensions). */
  metrics: Map<string, { properties: Set<string> }>;
  /** Property keys passed with exceptions. */
  exceptionProperties: Set<string>;
  /** Names of the error classes declared in the code (an exception's `type` is its error's name). */
  errorClasses: Set<string>;
  /** Calls whose name or properties are not literals, as `file:line`. */
  unreadable: string[];
  /** Members of the `TelemetryEvent` and `TelemetryMetric` types (shared/telemetry.ts). */
  declared: { events: Set<string>; metrics: Set<string> };
}

const SOURCE_DIRS = ['shared', 'functions'];

function sourceFiles(root: string): string[] {
  return SOURCE_DIRS.flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
      .map((entry) => join(entry.parentPath, entry.name)),
  );
}

/** String literals an expression can evaluate to; undefined when any branch is not a literal. */
function literals(node: ts.Expression): string[] | undefined {
  if (ts.isStringLiteralLike(node)) return [node.text];
  if (ts.isParenthesizedExpression(node)) return literals(node.expression);
  if (ts.isConditionalExpression(node)) {
    const whenTrue = literals(node.whenTrue);
    const whenFalse = literals(node.whenFalse);
    return whenTrue && whenFalse ? [...whenTrue, ...whenFalse] : undefined;
  }
  return undefined;
}

/** Keys of an object literal argument; undefined when the argument is something else (a variable). */
function keys(node: ts.Expression | undefined): string[] | undefined {
  if (node === undefined) return [];
  if (!ts.isObjectLiteralExpression(node)) return undefined;
  const found: string[] = [];
  for (const property of node.properties) {
    if (
      (ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) &&
      (ts.isIdentifier(property.name) || ts.isStringLiteralLike(property.name))
    ) {
      found.push(property.name.text);
    } else {
      return undefined;
    }
  }
  return found;
}

/** `telemetry`, `deps.telemetry`, `this.deps.telemetry`, `rt.telemetry`: the receiver is a Telemetry. */
function isTelemetryReceiver(node: ts.Expression): boolean {
  const name = ts.isIdentifier(node) ? node.text : ts.isPropertyAccessExpression(node) ? node.name.text : '';
  return name === 'telemetry';
}

export function emittedTelemetry(root: string): Emitted {
  const emitted: Emitted = {
    events: new Map(),
    metrics: new Map(),
    exceptionProperties: new Set(),
    errorClasses: new Set(),
    unreadable: [],
    declared: { events: new Set(), metrics: new Set() },
  };
  for (const file of sourceFiles(root)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const where = (node: ts.Node) =>
      `${relative(root, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (ts.isTypeAliasDeclaration(node) && /^Telemetry(Event|Metric)$/.test(node.name.text)) {
        const into = node.name.text === 'TelemetryEvent' ? emitted.declared.events : emitted.declared.metrics;
        const members = ts.isUnionTypeNode(node.type) ? node.type.types : [node.type];
        for (const member of members) {
          if (ts.isLiteralTypeNode(member) && ts.isStringLiteral(member.literal))
            into.add(member.literal.text);
        }
      }
      if (ts.isClassDeclaration(node) && node.name && node.heritageClauses && /Error$/.test(node.name.text)) {
        emitted.errorClasses.add(node.name.text);
      }
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        isTelemetryReceiver(node.expression.expression)
      ) {
        const method = node.expression.name.text;
        const [first, second, third] = node.arguments;
        if (method === 'exception') {
          const properties = keys(second);
          if (properties) for (const key of properties) emitted.exceptionProperties.add(key);
          else emitted.unreadable.push(where(node));
        } else if (method === 'event' || method === 'metric') {
          const names = first && literals(first);
          const properties = keys(method === 'event' ? second : third);
          const measurements = method === 'event' ? keys(third) : [];
          if (!names || !properties || !measurements) {
            emitted.unreadable.push(where(node));
          } else {
            for (const name of names) {
              if (method === 'event') {
                const entry = emitted.events.get(name) ?? { properties: new Set(), measurements: new Set() };
                for (const key of properties) entry.properties.add(key);
                for (const key of measurements) entry.measurements.add(key);
                emitted.events.set(name, entry);
              } else {
                const entry = emitted.metrics.get(name) ?? { properties: new Set() };
                for (const key of properties) entry.properties.add(key);
                emitted.metrics.set(name, entry);
              }
            }
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return emitted;
}
