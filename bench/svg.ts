/**
 * The bench's pictures, written as SVG text (no plotting dependency, no browser): bench/latency.svg, the
 * event→removal latency as cumulative distributions (ours, the naive baseline's, the round-trip limits
 * marked), and bench/burst.svg, each guest's removal time in the burst above the requests that led to it.
 */

export interface LatencySeries {
  label: string;
  /** Samples, ms. */
  values: readonly number[];
  color: string;
  /** Few samples: drawn as dots instead of a line. */
  dots?: boolean;
}

export interface LatencyMarker {
  label: string;
  ms: number;
  color: string;
  /** Dashed: a limit; solid and light: a round-trip floor. */
  limit: boolean;
}

export interface LatencyChart {
  title: string;
  /** One line each. */
  subtitle: readonly string[];
  /** Ours, on a linear axis (left panel). */
  ours: readonly LatencySeries[];
  /** Ours and the baseline, on a log axis (right panel). */
  all: readonly LatencySeries[];
  markers: readonly LatencyMarker[];
  /** Where the linear axis ends at most (the tail past it is in the log panel). */
  linearMaxMs?: number;
}

export interface BurstChart {
  title: string;
  /** One line each. */
  subtitle: readonly string[];
  /** Each guest's removal, ms after the knocks. */
  removalsMs: readonly number[];
  /** The wall-time limit, ms. */
  limitMs: number;
  limitLabel: string;
  lanes: readonly {
    label: string;
    color: string;
    spans: readonly { start: number; end: number; note?: string }[];
  }[];
  note?: string;
}

export const COLORS = {
  embedded: '#1f77b4',
  link: '#ff7f0e',
  first: '#9467bd',
  baseline: '#7f7f7f',
  storage: '#2ca02c',
  ucwa: '#1f77b4',
  pget: '#17becf',
  limit: '#d62728',
  grid: '#e5e5e5',
  text: '#222222',
};

const FONT = 'font-family="Helvetica, Arial, sans-serif"';

const esc = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const num = (value: number): string => (Math.round(value * 10) / 10).toString();

function text(
  x: number,
  y: number,
  content: string,
  options: {
    size?: number;
    anchor?: 'start' | 'middle' | 'end';
    color?: string;
    weight?: string;
    rotate?: boolean;
  } = {},
): string {
  const transform = options.rotate ? ` transform="rotate(-90 ${num(x)} ${num(y)})"` : '';
  return (
    `<text x="${num(x)}" y="${num(y)}" ${FONT} font-size="${options.size ?? 11}" ` +
    `text-anchor="${options.anchor ?? 'start'}" fill="${options.color ?? COLORS.text}"` +
    `${options.weight ? ` font-weight="${options.weight}"` : ''}${transform}>${esc(content)}</text>`
  );
}

function line(
  { x1, y1, x2, y2 }: { x1: number; y1: number; x2: number; y2: number },
  color: string,
  extra = '',
): string {
  return `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${color}" ${extra}/>`;
}

function document(width: number, height: number, title: string, body: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** "Nice" tick values covering [0, max]. */
function linearTicks(max: number, count = 6): number[] {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step - 1e-9; tick += step) ticks.push(Math.round(tick * 1000) / 1000);
  return ticks;
}

const subtitle = (lines: readonly string[]): string[] =>
  lines.map((content, index) => text(20, 44 + index * 14, content, { size: 11, color: '#555555' }));

interface Panel {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A cumulative distribution as a step path (x through `scale`), y from 0 % to 100 %. */
function cdfPath(values: readonly number[], panel: Panel, scale: (ms: number) => number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const y = (fraction: number) => panel.y + panel.height * (1 - fraction);
  const points: string[] = [];
  sorted.forEach((value, index) => {
    const x = Math.min(panel.x + panel.width, Math.max(panel.x, scale(value)));
    points.push(`${index === 0 ? 'M' : 'L'}${num(x)},${num(y(index / sorted.length))}`);
    points.push(`L${num(x)},${num(y((index + 1) / sorted.length))}`);
  });
  return points.join(' ');
}

function cdfDots(
  values: readonly number[],
  panel: Panel,
  scale: (ms: number) => number,
  color: string,
): string[] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.map((value, index) => {
    const x = Math.min(panel.x + panel.width, Math.max(panel.x, scale(value)));
    const y = panel.y + panel.height * (1 - (index + 1) / sorted.length);
    return `<circle cx="${num(x)}" cy="${num(y)}" r="4" fill="${color}" fill-opacity="0.8" stroke="#ffffff"/>`;
  });
}

function yAxis(panel: Panel): string[] {
  const out: string[] = [];
  for (const fraction of [0, 0.25, 0.5, 0.75, 0.9, 0.99, 1]) {
    const y = panel.y + panel.height * (1 - fraction);
    out.push(line({ x1: panel.x, y1: y, x2: panel.x + panel.width, y2: y }, COLORS.grid));
    // 99 % sits 3 px below 100 %: its line is drawn, its label written beside the axis.
    if (fraction === 0.99)
      out.push(text(panel.x + panel.width + 4, y + 4, '99 %', { size: 9, color: '#888888' }));
    else out.push(text(panel.x - 6, y + 4, `${Math.round(fraction * 100)} %`, { anchor: 'end', size: 10 }));
  }
  return out;
}

/** One row of legend entries, left to right. */
function legend(x: number, y: number, series: readonly LatencySeries[]): string[] {
  let at = x;
  return series.flatMap((s) => {
    const swatch = s.dots
      ? `<circle cx="${num(at + 9)}" cy="${num(y - 4)}" r="4" fill="${s.color}"/>`
      : line({ x1: at, y1: y - 4, x2: at + 18, y2: y - 4 }, s.color, 'stroke-width="2.5"');
    const entry = [swatch, text(at + 24, y, s.label, { size: 10.5 })];
    at += 24 + s.label.length * 5.6 + 22;
    return entry;
  });
}

export function latencySvg(chart: LatencyChart): string {
  const width = 1000;
  const height = 526;
  const left: Panel = { x: 60, y: 100, width: 400, height: 300 };
  const right: Panel = { x: 560, y: 100, width: 400, height: 300 };
  const body: string[] = [
    text(20, 26, chart.title, { size: 16, weight: 'bold' }),
    ...subtitle(chart.subtitle),
  ];

  // Left: ours, linear.
  const oursMax = Math.max(...chart.ours.flatMap((s) => s.values), ...chart.markers.map((m) => m.ms), 1);
  const leftTicks = linearTicks(Math.min(oursMax * 1.08, chart.linearMaxMs ?? Number.POSITIVE_INFINITY));
  const leftMax = leftTicks.at(-1) ?? oursMax;
  const lx = (ms: number) => left.x + (ms / leftMax) * left.width;
  body.push(...yAxis(left));
  for (const tick of leftTicks) {
    body.push(
      line(
        { x1: lx(tick), y1: left.y + left.height, x2: lx(tick), y2: left.y + left.height + 4 },
        COLORS.text,
      ),
    );
    body.push(text(lx(tick), left.y + left.height + 16, String(tick), { anchor: 'middle', size: 10 }));
  }
  body.push(
    text(left.x + left.width / 2, left.y + left.height + 44, 'event → removal, ms (linear)', {
      anchor: 'middle',
    }),
  );
  body.push(text(left.x, left.y - 20, 'The gatekeeper', { weight: 'bold', size: 12 }));
  if (oursMax > leftMax)
    body.push(
      text(left.x + left.width - 4, left.y + left.height - 6, `beyond ${leftMax} ms: right panel →`, {
        anchor: 'end',
        size: 9.5,
        color: '#555555',
      }),
    );
  for (const marker of chart.markers) {
    const x = lx(marker.ms);
    body.push(
      line(
        { x1: x, y1: left.y, x2: x, y2: left.y + left.height },
        marker.color,
        marker.limit ? 'stroke-dasharray="5,4" stroke-width="1.5"' : 'stroke-opacity="0.35" stroke-width="1"',
      ),
    );
    // A limit's value above the panel (its meaning in the key below); a round trip under the axis.
    body.push(
      marker.limit
        ? text(x, left.y - 5, String(marker.ms), {
            anchor: 'middle',
            size: 9.5,
            color: marker.color,
            weight: 'bold',
          })
        : text(x, left.y + left.height + 28, marker.label, { anchor: 'middle', size: 9, color: '#777777' }),
    );
  }
  for (const series of chart.ours) {
    if (series.dots) body.push(...cdfDots(series.values, left, lx, series.color));
    else
      body.push(
        `<path d="${cdfPath(series.values, left, lx)}" fill="none" stroke="${series.color}" stroke-width="2"/>`,
      );
  }
  body.push(
    `<rect x="${left.x}" y="${left.y}" width="${left.width}" height="${left.height}" fill="none" stroke="#999999"/>`,
  );

  // Right: everything, log.
  const all = chart.all.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...all))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, lo * 10)));
  const rx = (ms: number) =>
    right.x +
    ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * right.width;
  body.push(...yAxis(right));
  for (let decade = lo; decade <= hi; decade *= 10) {
    body.push(line({ x1: rx(decade), y1: right.y, x2: rx(decade), y2: right.y + right.height }, COLORS.grid));
    body.push(text(rx(decade), right.y + right.height + 16, `${decade} ms`, { anchor: 'middle', size: 10 }));
    for (const minor of [2, 5]) {
      if (decade * minor < hi)
        body.push(
          line(
            {
              x1: rx(decade * minor),
              y1: right.y + right.height,
              x2: rx(decade * minor),
              y2: right.y + right.height + 3,
            },
            COLORS.text,
          ),
        );
    }
  }
  body.push(
    text(right.x + right.width / 2, right.y + right.height + 34, 'event → removal, ms (log)', {
      anchor: 'middle',
    }),
  );
  body.push(text(right.x, right.y - 20, 'Against the naive baseline', { weight: 'bold', size: 12 }));
  for (const series of chart.all) {
    if (series.dots) body.push(...cdfDots(series.values, right, rx, series.color));
    else
      body.push(
        `<path d="${cdfPath(series.values, right, rx)}" fill="none" stroke="${series.color}" stroke-width="2"/>`,
      );
  }
  body.push(
    `<rect x="${right.x}" y="${right.y}" width="${right.width}" height="${right.height}" fill="none" stroke="#999999"/>`,
  );

  const series = [...chart.ours, ...chart.all.filter((s) => !chart.ours.some((o) => o.label === s.label))];
  body.push(...legend(left.x, left.y + left.height + 66, series));
  const limits = chart.markers.filter((marker) => marker.limit);
  let keyX = left.x;
  body.push(text(keyX, left.y + left.height + 86, 'Dashed, the limits (ms):', { size: 10.5 }));
  keyX += 140;
  for (const marker of limits) {
    const label = `${marker.ms} = ${marker.label}`;
    body.push(
      line(
        { x1: keyX, y1: left.y + left.height + 82, x2: keyX + 18, y2: left.y + left.height + 82 },
        marker.color,
        'stroke-dasharray="5,4" stroke-width="1.5"',
      ),
    );
    body.push(text(keyX + 24, left.y + left.height + 86, label, { size: 10.5, color: marker.color }));
    keyX += 24 + label.length * 5.6 + 22;
  }
  body.push(
    text(
      20,
      height - 8,
      'Cumulative share of samples at or below each latency; read a percentile where a line crosses it.',
      { size: 10, color: '#555555' },
    ),
  );
  return document(width, height, chart.title, body);
}

export function burstSvg(chart: BurstChart): string {
  const width = 1000;
  const top: Panel = { x: 150, y: 100, width: 800, height: 220 };
  // Spans in a lane are packed into rows so that overlapping requests stay visible.
  const packed = chart.lanes.map((lane) => {
    const rows: number[] = [];
    const placed = [...lane.spans]
      .sort((a, b) => a.start - b.start)
      .map((span) => {
        let row = rows.findIndex((end) => end <= span.start);
        if (row < 0) {
          row = rows.length;
          rows.push(span.end);
        } else rows[row] = span.end;
        return { ...span, row };
      });
    return { ...lane, placed, rows: Math.max(1, rows.length) };
  });
  const rowHeight = (rows: number) => (rows > 8 ? Math.max(2, 90 / rows) : 10);
  const laneHeight = (rows: number) => Math.max(18, rows * rowHeight(rows) + 6);
  const lanesTop = top.y + top.height + 60;
  const lanesHeight = packed.reduce((sum, lane) => sum + laneHeight(lane.rows), 0);
  const height = lanesTop + lanesHeight + 60;
  const maxMs = Math.max(
    ...chart.removalsMs,
    chart.limitMs,
    ...chart.lanes.flatMap((lane) => lane.spans.map((span) => span.end)),
    1,
  );
  const ticks = linearTicks(maxMs * 1.05);
  const axisMax = ticks.at(-1) ?? maxMs;
  const x = (ms: number) => top.x + (Math.max(0, ms) / axisMax) * top.width;
  const body: string[] = [
    text(20, 26, chart.title, { size: 16, weight: 'bold' }),
    ...subtitle(chart.subtitle),
  ];
  const sorted = [...chart.removalsMs].sort((a, b) => a - b);
  const n = Math.max(1, sorted.length);
  const y = (rank: number) => top.y + top.height * (1 - rank / n);
  for (const rank of linearTicks(n, 5).filter((tick) => tick <= n)) {
    body.push(line({ x1: top.x, y1: y(rank), x2: top.x + top.width, y2: y(rank) }, COLORS.grid));
    body.push(text(top.x - 6, y(rank) + 4, String(rank), { anchor: 'end', size: 10 }));
  }
  body.push(text(top.x - 40, top.y + top.height / 2, 'guests removed', { anchor: 'middle', rotate: true }));
  const bottom = lanesTop + lanesHeight;
  for (const tick of ticks) {
    body.push(line({ x1: x(tick), y1: top.y, x2: x(tick), y2: bottom }, COLORS.grid));
    body.push(text(x(tick), bottom + 16, String(tick), { anchor: 'middle', size: 10 }));
  }
  body.push(text(top.x + top.width / 2, bottom + 34, 'ms after the 50 knocks', { anchor: 'middle' }));
  body.push(
    line(
      { x1: x(chart.limitMs), y1: top.y, x2: x(chart.limitMs), y2: bottom },
      COLORS.limit,
      'stroke-dasharray="5,4" stroke-width="1.5"',
    ),
  );
  body.push(text(x(chart.limitMs) + 4, top.y + 12, chart.limitLabel, { size: 10, color: COLORS.limit }));
  const step = sorted
    .map(
      (ms, index) =>
        `${index === 0 ? `M${num(x(0))},${num(y(0))} L${num(x(ms))},${num(y(0))}` : `L${num(x(ms))},${num(y(index))}`} L${num(x(ms))},${num(y(index + 1))}`,
    )
    .join(' ');
  body.push(`<path d="${step}" fill="none" stroke="${COLORS.embedded}" stroke-width="1.5"/>`);
  for (const [index, ms] of sorted.entries()) {
    body.push(`<circle cx="${num(x(ms))}" cy="${num(y(index + 1))}" r="2.5" fill="${COLORS.embedded}"/>`);
  }
  body.push(
    `<rect x="${top.x}" y="${top.y}" width="${top.width}" height="${top.height}" fill="none" stroke="#999999"/>`,
  );
  body.push(text(top.x, top.y - 10, 'Each guest\u2019s removal taking effect', { weight: 'bold', size: 12 }));
  body.push(
    text(
      top.x,
      lanesTop - 10,
      'The requests behind them (bars; overlapping ones stacked), and when the gatekeeper asked (ticks)',
      {
        weight: 'bold',
        size: 12,
      },
    ),
  );
  let laneY = lanesTop;
  for (const lane of packed) {
    const h = laneHeight(lane.rows);
    const rh = rowHeight(lane.rows);
    body.push(
      `<rect x="${top.x}" y="${num(laneY)}" width="${top.width}" height="${num(h)}" fill="#fafafa" stroke="${COLORS.grid}"/>`,
    );
    body.push(
      text(top.x - 8, laneY + h / 2 + 4, `${lane.label} (${lane.spans.length})`, {
        anchor: 'end',
        size: 10.5,
      }),
    );
    for (const span of lane.placed) {
      const sx = x(span.start);
      const w = Math.max(1.5, x(span.end) - sx);
      const sy = laneY + 3 + span.row * rh;
      body.push(
        `<rect x="${num(sx)}" y="${num(sy)}" width="${num(w)}" height="${num(Math.max(1.5, rh - 1))}" fill="${lane.color}" fill-opacity="0.75"/>`,
      );
      if (span.note && rh >= 10) body.push(text(sx + w + 3, sy + rh - 2, span.note, { size: 9 }));
    }
    laneY += h;
  }
  if (chart.note) body.push(text(20, height - 8, chart.note, { size: 10, color: '#555555' }));
  return document(width, height, chart.title, body);
}
