/** Tick labels: three significant digits, no trailing zeros (100, 51.2, 6.87, 0.5). */
export function formatNumber(value: number): string {
  if (value === 0) return '0';
  return String(Number(value.toPrecision(3)));
}

/** A fraction as a percentage label without the sign: 0.512 → "51.2". */
export function formatPercent(fraction: number): string {
  return formatNumber(fraction * 100);
}

/** Iteration counts the way the papers label them: 500, 2K, 10K, 1.5M. */
export function formatSteps(steps: number): string {
  if (steps >= 1e6) return `${formatNumber(steps / 1e6)}M`;
  if (steps >= 1e3) return `${formatNumber(steps / 1e3)}K`;
  return formatNumber(steps);
}
