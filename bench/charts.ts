/** bench/latency.svg and bench/burst.svg from a run's results (bench/svg.ts draws them). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EJECT_SLACK_MS, FIRST_REMOVAL_SLACK_MS, type Results } from './report.js';
import { round } from './stats.js';
import {
  type BurstChart,
  burstSvg,
  COLORS,
  type LatencyChart,
  type LatencySeries,
  latencySvg,
} from './svg.js';

export interface ChartContext {
  latencyMs: number;
  commit: string;
  dir: string;
}

/** Writes the pictures the run has data for; returns their paths. */
export async function writeCharts(results: Results, context: ChartContext): Promise<string[]> {
  const written: string[] = [];
  const latency = latencyChart(results, context);
  if (latency) {
    const path = join(context.dir, 'latency.svg');
    await writeFile(path, latencySvg(latency));
    written.push(path);
  }
  const burst = burstChart(results, context);
  if (burst) {
    const path = join(context.dir, 'burst.svg');
    await writeFile(path, burstSvg(burst));
    written.push(path);
  }
  return written;
}

export function latencyChart(
  results: Results,
  { latencyMs, commit }: ChartContext,
): LatencyChart | undefined {
  const { eject, firstRemoval: first } = results;
  if (!eject) return undefined;
  const embedded: LatencySeries = {
    label: `embedded participant (${eject.embedded.events})`,
    values: eject.embedded.samplesMs,
    color: COLORS.embedded,
  };
  const link: LatencySeries = {
    label: `participant link only (${eject.link.events})`,
    values: eject.link.samplesMs,
    color: COLORS.link,
  };
  const firsts: LatencySeries[] = first
    ? [
        {
          label: `first removal after a fresh start (${first.runs})`,
          values: first.starts.map((s) => round(s.first.ms)),
          color: COLORS.first,
          dots: true,
        },
      ]
    : [];
  const baseline: LatencySeries = {
    label: `naive baseline, lobbies polled every 5 s (${eject.baseline.events})`,
    values: eject.baseline.samplesMs,
    color: COLORS.baseline,
  };
  const rt = latencyMs;
  const slack = Math.max(EJECT_SLACK_MS, first ? FIRST_REMOVAL_SLACK_MS : 0);
  return {
    // Wide enough for the limits and a good part of the tail; the rest shows in the log panel.
    linearMaxMs: Math.max(2 * rt + slack, 10) * 2,
    title: 'Event → removal latency',
    subtitle: [
      'From the P-GET answer carrying the knock leaving UCWA to the removal taking effect (baseline: from the knock).',
      `${rt} ms per UCWA request (1 RT). npm run bench, commit ${commit}.`,
    ],
    ours: [embedded, link, ...firsts],
    all: [embedded, link, ...firsts, baseline],
    markers: [
      { label: '1 RT', ms: rt, color: COLORS.text, limit: false },
      { label: '2 RT', ms: 2 * rt, color: COLORS.text, limit: false },
      {
        label: `1 RT + ${EJECT_SLACK_MS}, embedded`,
        ms: rt + EJECT_SLACK_MS,
        color: COLORS.embedded,
        limit: true,
      },
      {
        label: `2 RT + ${EJECT_SLACK_MS}, link only`,
        ms: 2 * rt + EJECT_SLACK_MS,
        color: COLORS.link,
        limit: true,
      },
      ...(first
        ? [
            {
              label: `1 RT + ${FIRST_REMOVAL_SLACK_MS}, first removal`,
              ms: rt + FIRST_REMOVAL_SLACK_MS,
              color: COLORS.first,
              limit: true,
            },
          ]
        : []),
    ],
  };
}

export function burstChart(results: Results, { latencyMs, commit }: ChartContext): BurstChart | undefined {
  const burst = results.burst;
  if (!burst) return undefined;
  const g = burst.gatekeeper;
  const lane = (name: string) => g.timeline.filter((span) => span.lane === name);
  const lanes: BurstChart['lanes'] = [
    { label: 'P-GET', color: COLORS.pget, spans: lane('P-GET') },
    { label: 'events handed', color: COLORS.text, spans: lane('events handed') },
    { label: 'UCWA GET', color: COLORS.ucwa, spans: lane('UCWA GET') },
    {
      label: 'UCWA batch',
      color: COLORS.ucwa,
      spans: lane('UCWA batch').map((span) => ({ ...span, note: `${span.parts ?? '?'} parts` })),
    },
    { label: 'claim opens', color: COLORS.text, spans: lane('claims asked') },
    { label: 'storage', color: COLORS.storage, spans: lane('storage') },
    { label: '"sending" writes', color: COLORS.text, spans: lane('sending writes asked') },
    { label: 'removals handed', color: COLORS.text, spans: lane('removals asked') },
    { label: 'UCWA POST', color: COLORS.ucwa, spans: lane('UCWA POST') },
    { label: 'keep-alive', color: COLORS.baseline, spans: lane('keep-alive') },
  ].filter((entry) => entry.spans.length > 0);
  return {
    title: `Burst: ${g.guests} guests knock at once in ${g.meetings} meetings`,
    subtitle: [
      `Last removal ${round(g.wallMs, 0)} ms after the knocks; ${g.ejectSideRequests} UCWA requests besides the ` +
        `P-GET, ${g.storageRequests} storage requests.`,
      `${latencyMs} ms per UCWA request (1 RT). npm run bench, commit ${commit}.`,
    ],
    removalsMs: g.removalsMs,
    limitMs: 4 * latencyMs,
    limitLabel: `limit: 4 RT = ${4 * latencyMs} ms`,
    lanes,
    note:
      `Naive baseline (one request at a time, lobbies polled every 5 s): last removal after ` +
      `${round(burst.baseline.wallMs, 0)} ms, ${burst.baseline.ejectSideRequests} requests — off this scale.`,
  };
}
