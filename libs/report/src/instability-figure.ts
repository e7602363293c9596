import { DEFAULT_INSTABILITY_THRESHOLD } from '@rewind/stability';
import { formatPercent, formatSteps } from './format.ts';
import { type FigureOptions, lineChart, plotArea } from './line-chart.ts';
import { linearScale, niceTicks, pointScale, thinTicks } from './scales.ts';
import { collectSeries, yExtent } from './series-rows.ts';

export interface InstabilityRow {
  /** Legend label, e.g. "16.8% remaining". */
  readonly sparsityLabel: string;
  /** Iteration the subnetwork was rewound to. */
  readonly rewindStep: number;
  /** Test error barrier as a fraction (0.02 = 2 points of error). Rows sharing both keys are averaged. */
  readonly barrier: number;
}

export interface InstabilityFigureOptions extends FigureOptions {
  /** Drawn as a dashed rule; defaults to the 2% of Frankle et al. 2020. */
  readonly threshold?: number;
}

const MIN_TICK_GAP_PX = 34;

/**
 * Instability (test error barrier) against rewind step, one line per sparsity level, with the stability
 * threshold dashed. Saved rewind steps are spaced evenly (an ordinal axis), as the papers do, since they
 * cluster early in training.
 */
export function instabilityVsRewindFigure(
  rows: readonly InstabilityRow[],
  options: InstabilityFigureOptions = {},
): string {
  if (rows.length === 0) throw new Error('no rows to plot');
  const threshold = options.threshold ?? DEFAULT_INSTABILITY_THRESHOLD;
  const series = collectSeries(
    rows,
    (r) => r.sparsityLabel,
    (r) => r.rewindStep,
    (r) => r.barrier,
  );
  const steps = [...new Set(rows.map((r) => r.rewindStep))].sort((a, b) => a - b);
  const [low, high] = yExtent(series.values());
  // The threshold and zero stay in view so "below the line" can be read off at a glance.
  const yTicks = niceTicks(Math.min(0, low), Math.max(high, threshold * 1.5));
  const width = options.width ?? 760;
  const height = options.height ?? 440;
  const area = plotArea(width, height);
  return lineChart({
    title: options.title ?? 'Instability vs. rewind point',
    width,
    height,
    x: {
      label: 'Rewind iteration k',
      scale: (range) => pointScale(steps, range),
      ticks: thinTicks(steps, pointScale(steps, [area.left, area.right]), MIN_TICK_GAP_PX).map((value) => ({
        value,
        label: formatSteps(value),
      })),
    },
    y: {
      label: 'Test error barrier (%)',
      scale: (range) => linearScale([yTicks[0]!, yTicks.at(-1)!], range),
      ticks: yTicks.map((value) => ({ value, label: formatPercent(value) })),
    },
    series: [...series].map(([label, points]) => ({ label, points, dashed: false })),
    rules: [{ y: threshold, label: `${formatPercent(threshold)}% threshold` }],
  });
}
