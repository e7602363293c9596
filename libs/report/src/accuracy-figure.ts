import { formatPercent } from './format.ts';
import { type FigureOptions, lineChart, plotArea } from './line-chart.ts';
import { linearScale, logScale, niceTicks, thinTicks } from './scales.ts';
import { collectSeries, yExtent } from './series-rows.ts';

export interface AccuracyRow {
  /** Legend label, e.g. "rewind k=500" or "random reinit". */
  readonly series: string;
  /** Fraction of prunable weights remaining, in (0, 1]. */
  readonly weightsRemaining: number;
  /** Test accuracy as a fraction in [0, 1]. Rows sharing series and weightsRemaining are averaged, min–max shown. */
  readonly testAccuracy: number;
  /** Controls (random pruning, random reinitialisation) are drawn dashed. */
  readonly control?: boolean;
}

const MIN_TICK_GAP_PX = 38;

/**
 * Test accuracy against weights remaining, as in Frankle et al.: a log-scale x axis that starts at the densest
 * level on the left and decreases to the right, ticked at the sparsity levels present in the data.
 */
export function accuracyVsSparsityFigure(rows: readonly AccuracyRow[], options: FigureOptions = {}): string {
  if (rows.length === 0) throw new Error('no rows to plot');
  for (const r of rows) {
    if (!(r.weightsRemaining > 0 && r.weightsRemaining <= 1)) {
      throw new Error(`weightsRemaining must be in (0, 1], got ${r.weightsRemaining} for "${r.series}"`);
    }
  }
  const series = collectSeries(
    rows,
    (r) => r.series,
    (r) => r.weightsRemaining,
    (r) => r.testAccuracy,
  );
  const controls = new Set(rows.filter((r) => r.control).map((r) => r.series));
  const levels = [...new Set(rows.map((r) => r.weightsRemaining))].sort((a, b) => b - a);
  // Reversed domain: the densest level maps to the left edge.
  const xDomain: [number, number] = [levels[0]!, levels.at(-1)!];
  const yTicks = niceTicks(...yExtent(series.values()));
  const width = options.width ?? 760;
  const height = options.height ?? 440;
  const area = plotArea(width, height);
  return lineChart({
    title: options.title ?? 'Test accuracy vs. weights remaining',
    width,
    height,
    x: {
      label: 'Percent of weights remaining (log scale)',
      scale: (range) => logScale(xDomain, range),
      ticks: thinTicks(levels, logScale(xDomain, [area.left, area.right]), MIN_TICK_GAP_PX).map((value) => ({
        value,
        label: formatPercent(value),
      })),
    },
    y: {
      label: 'Test accuracy (%)',
      scale: (range) => linearScale([yTicks[0]!, yTicks.at(-1)!], range),
      ticks: yTicks.map((value) => ({ value, label: formatPercent(value) })),
    },
    series: [...series].map(([label, points]) => ({ label, points, dashed: controls.has(label) })),
  });
}
