import type { ChartPoint } from './line-chart.ts';

/** Groups rows into series (in order of first appearance), averaging rows that share a series and an x, min–max kept. */
export function collectSeries<Row>(
  rows: readonly Row[],
  seriesOf: (row: Row) => string,
  xOf: (row: Row) => number,
  yOf: (row: Row) => number,
): Map<string, ChartPoint[]> {
  const grouped = new Map<string, Map<number, number[]>>();
  for (const row of rows) {
    const x = xOf(row);
    const y = yOf(row);
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`non-finite value in series "${seriesOf(row)}"`);
    const byX = grouped.get(seriesOf(row)) ?? new Map<number, number[]>();
    grouped.set(seriesOf(row), byX);
    byX.set(x, [...(byX.get(x) ?? []), y]);
  }
  const series = new Map<string, ChartPoint[]>();
  for (const [label, byX] of grouped) {
    const points = [...byX].map(([x, ys]) => ({
      x,
      y: ys.reduce((a, b) => a + b, 0) / ys.length,
      low: Math.min(...ys),
      high: Math.max(...ys),
    }));
    series.set(label, points);
  }
  return series;
}

/** The y range a chart must show: every mean and whisker end. */
export function yExtent(series: Iterable<readonly ChartPoint[]>): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const points of series) {
    for (const p of points) {
      min = Math.min(min, p.low ?? p.y);
      max = Math.max(max, p.high ?? p.y);
    }
  }
  return [min, max];
}
