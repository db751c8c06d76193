/** The soak's table on stdout and soak/results.json. */
import { writeFile } from 'node:fs/promises';
import type { InvariantName, Violation } from './checks.js';

export interface Results {
  seed: number;
  mode: string;
  planDigest: string;
  faultPhaseMs: number;
  quiet: { ms: number; settled: boolean; outstanding: string[] };
  totalMs: number;
  faults: Record<string, { count: number; hits?: number }>;
  events: Record<string, number>;
  effects: Record<string, number>;
  kills: Record<string, number | string>;
  channel: Record<string, number | string>;
  violations: Violation[];
  longGaps: { from: number; ms: number; causes: string[] }[];
  details: Record<string, unknown>;
}

const INVARIANTS: Record<InvariantName, string> = {
  removal: 'anonymous guests removed exactly once, in time; nobody else',
  'audit-and-notices': 'one audit row and a notice per sink; no unexcused duplicate',
  events: 'every delivered event handled or rejected, none twice',
  'pget-gap': 'P-GET gaps under the limit while chat is down',
};

const seconds = (ms: number | string) => (typeof ms === 'number' ? `${(ms / 1000).toFixed(1)} s` : ms);

/** A titled list; values named `… (ms)` are shown in seconds. */
function rows(title: string, entries: [string, string | number][]): string[] {
  const shown = entries.map(([name, value]): [string, string] =>
    name.endsWith(' (ms)') ? [name.slice(0, -5), String(seconds(value))] : [name, String(value)],
  );
  const width = Math.max(30, ...shown.map(([name]) => name.length + 2));
  return [title, ...shown.map(([name, value]) => `  ${name.padEnd(width)}${value.padStart(12)}`)];
}

export function renderTable(r: Results): string {
  const lines: string[] = [
    `ucwa-gatekeeper soak · seed ${r.seed} · ${r.mode} · plan ${r.planDigest} · fault phase ${seconds(r.faultPhaseMs)}` +
      ` · quiet ${seconds(r.quiet.ms)} (${r.quiet.settled ? 'settled' : 'not settled'}) · total ${seconds(r.totalMs)}`,
    '',
  ];
  const faults = Object.entries(r.faults).map(([kind, f]): [string, string] => [
    kind,
    f.hits === undefined ? String(f.count) : `${f.count} (${f.hits} hits)`,
  ]);
  const injected = Object.values(r.faults).reduce((sum, f) => sum + (f.hits ?? f.count), 0);
  faults.push(['injected in all (hits)', String(injected)]);
  lines.push(...rows('Faults injected', faults), '');
  lines.push(...rows('Events', Object.entries(r.events)), '');
  lines.push(...rows('Effects', Object.entries(r.effects)), '');
  lines.push(...rows('Kills', Object.entries(r.kills)), '');
  lines.push(...rows('Event channel', Object.entries(r.channel)), '');
  const counts = (Object.keys(INVARIANTS) as InvariantName[]).map((name): [string, number] => [
    `${name}`,
    r.violations.filter((v) => v.invariant === name).length,
  ]);
  lines.push(...rows('Invariant violations', counts));
  for (const name of Object.keys(INVARIANTS) as InvariantName[]) {
    const mine = r.violations.filter((v) => v.invariant === name);
    if (mine.length === 0) continue;
    lines.push('', `✗ ${name}: ${INVARIANTS[name]}`);
    for (const v of mine.slice(0, 8)) lines.push(`    ${v.subject}: ${v.message}`);
    if (mine.length > 8) lines.push(`    … and ${mine.length - 8} more (soak/results.json)`);
  }
  if (r.longGaps.length > 0) {
    lines.push('', 'P-GET gaps over the limit (any cause):');
    for (const gap of r.longGaps.slice(0, 8)) lines.push(`    ${seconds(gap.ms)}: ${gap.causes.join(', ')}`);
  }
  if (!r.quiet.settled && r.quiet.outstanding.length > 0) {
    lines.push(
      '',
      `Still outstanding when the quiet period ended: ${r.quiet.outstanding.slice(0, 6).join('; ')}`,
    );
  }
  return lines.join('\n');
}

export async function writeResults(file: string, r: Results): Promise<void> {
  await writeFile(file, `${JSON.stringify({ generatedAt: new Date().toISOString(), ...r }, null, 2)}\n`);
}
