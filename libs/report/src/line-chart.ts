import type { Scale } from './scales.ts';
import { coord, element, text } from './svg.ts';

/** One point of a series; `low`/`high` draw a whisker (e.g. min and max over replicates). */
export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  readonly low?: number;
  readonly high?: number;
}

export interface ChartSeries {
  readonly label: string;
  /** Any order: the line is drawn left to right on the page. */
  readonly points: readonly ChartPoint[];
  readonly dashed: boolean;
}

export interface AxisTick {
  readonly value: number;
  readonly label: string;
}

export interface ChartAxis {
  readonly label: string;
  readonly ticks: readonly AxisTick[];
  /** Built by the caller from the pixel range it is given, so any scale kind (log, reversed, ordinal) fits. */
  readonly scale: (range: readonly [number, number]) => Scale;
}

export interface HorizontalRule {
  readonly y: number;
  readonly label: string;
}

export interface LineChartSpec {
  readonly title: string;
  readonly x: ChartAxis;
  readonly y: ChartAxis;
  readonly series: readonly ChartSeries[];
  /** Dashed reference lines across the plot, such as a threshold. */
  readonly rules?: readonly HorizontalRule[];
  readonly width: number;
  readonly height: number;
}

/** What every figure lets the caller change; sizes in pixels. */
export interface FigureOptions {
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
}

/** Tableau 10: distinguishable, and readable by most colour-blind viewers. */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
const DASH = '6 4';
const LEGEND_WIDTH = 170;
const MARGIN = { top: 40, right: 20 + LEGEND_WIDTH, bottom: 56, left: 64 };

export function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

/** The pixel rectangle the data is drawn in; exported so tests can check where points land. */
export function plotArea(width: number, height: number) {
  return {
    left: MARGIN.left,
    right: width - MARGIN.right,
    top: MARGIN.top,
    bottom: height - MARGIN.bottom,
  };
}

function seriesPath(points: readonly ChartPoint[], sx: Scale, sy: Scale): string {
  const leftToRight = [...points].sort((a, b) => sx(a.x) - sx(b.x));
  return leftToRight.map((p, i) => `${i === 0 ? 'M' : 'L'}${coord(sx(p.x))} ${coord(sy(p.y))}`).join(' ');
}

/** A line chart: axes with ticks and labels, one path per series (with markers and whiskers), legend, rules. */
export function lineChart(spec: LineChartSpec): string {
  const area = plotArea(spec.width, spec.height);
  const sx = spec.x.scale([area.left, area.right]);
  const sy = spec.y.scale([area.bottom, area.top]);

  const frame = element('rect', {
    class: 'plot-area',
    x: area.left,
    y: area.top,
    width: area.right - area.left,
    height: area.bottom - area.top,
    fill: 'none',
    stroke: '#333',
  });
  const xTicks = spec.x.ticks.map((t) =>
    element('g', { class: 'tick x-tick' }, [
      element('line', { x1: sx(t.value), x2: sx(t.value), y1: area.bottom, y2: area.bottom + 5, stroke: '#333' }),
      text(t.label, { x: sx(t.value), y: area.bottom + 18, 'text-anchor': 'middle' }),
    ]),
  );
  const yTicks = spec.y.ticks.map((t) =>
    element('g', { class: 'tick y-tick' }, [
      element('line', { x1: area.left, x2: area.right, y1: sy(t.value), y2: sy(t.value), stroke: '#eee' }),
      text(t.label, { x: area.left - 8, y: sy(t.value) + 4, 'text-anchor': 'end' }),
    ]),
  );
  const labels = [
    text(spec.title, { class: 'title', x: spec.width / 2, y: 22, 'text-anchor': 'middle', 'font-size': 15 }),
    text(spec.x.label, { class: 'x-label', x: (area.left + area.right) / 2, y: spec.height - 14, 'text-anchor': 'middle' }),
    text(spec.y.label, {
      class: 'y-label',
      transform: `translate(16 ${coord((area.top + area.bottom) / 2)}) rotate(-90)`,
      'text-anchor': 'middle',
    }),
  ];
  const rules = (spec.rules ?? []).map((r) =>
    element('g', { class: 'rule' }, [
      element('line', { x1: area.left, x2: area.right, y1: sy(r.y), y2: sy(r.y), stroke: '#555', 'stroke-dasharray': DASH }),
      text(r.label, { x: area.left + 6, y: sy(r.y) - 5, fill: '#555' }),
    ]),
  );
  const series = spec.series.map((s, i) => {
    const color = colorOf(i);
    const whiskers = s.points
      .filter((p) => p.low !== undefined && p.high !== undefined && p.low < p.high)
      .map((p) => element('line', { class: 'whisker', x1: sx(p.x), x2: sx(p.x), y1: sy(p.low!), y2: sy(p.high!), stroke: color }));
    const markers = s.points.map((p) => element('circle', { class: 'marker', cx: sx(p.x), cy: sy(p.y), r: 2.5, fill: color }));
    return element('g', { class: 'series-group', 'data-series': s.label }, [
      element('path', {
        class: 'series',
        'data-series': s.label,
        d: seriesPath(s.points, sx, sy),
        fill: 'none',
        stroke: color,
        'stroke-width': 1.8,
        'stroke-dasharray': s.dashed ? DASH : undefined,
      }),
      ...whiskers,
      ...markers,
    ]);
  });
  const legend = spec.series.map((s, i) => {
    const y = area.top + 8 + i * 18;
    const x = area.right + 14;
    return element('g', { class: 'legend-entry', 'data-series': s.label }, [
      element('line', {
        x1: x,
        x2: x + 24,
        y1: y,
        y2: y,
        stroke: colorOf(i),
        'stroke-width': 2,
        'stroke-dasharray': s.dashed ? DASH : undefined,
      }),
      text(s.label, { x: x + 30, y: y + 4 }),
    ]);
  });

  return element(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width: spec.width,
      height: spec.height,
      viewBox: `0 0 ${spec.width} ${spec.height}`,
      'font-family': 'sans-serif',
      'font-size': 12,
    },
    [
      element('rect', { width: spec.width, height: spec.height, fill: 'white' }),
      ...yTicks,
      frame,
      ...xTicks,
      ...labels,
      ...rules,
      ...series,
      element('g', { class: 'legend' }, legend),
    ],
  );
}
