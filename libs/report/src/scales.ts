/** Maps data values to pixels along one axis. */
export type Scale = (value: number) => number;

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  // A degenerate domain (one distinct value) sits in the middle of the range.
  if (d0 === d1) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  if (!(domain[0] > 0 && domain[1] > 0)) throw new Error(`a log scale needs a positive domain, got [${domain}]`);
  const toPixels = linearScale([Math.log(domain[0]), Math.log(domain[1])], range);
  return (v) => toPixels(Math.log(v));
}

/** Evenly spaced positions for a sorted list of distinct values, in that order (an ordinal axis). */
export function pointScale(values: readonly number[], range: readonly [number, number]): Scale {
  const toPixels = linearScale([0, Math.max(1, values.length - 1)], range);
  return (v) => {
    const index = values.indexOf(v);
    if (index < 0) throw new Error(`${v} is not one of the axis values`);
    return values.length === 1 ? (range[0] + range[1]) / 2 : toPixels(index);
  };
}

/** Round tick values (1, 2 or 5 × 10^k apart), about `count` of them, the first ≤ min and the last ≥ max. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (min === max) return [min];
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  // Rounding each tick to the step's precision avoids 0.30000000000000004-style labels.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  // The slack keeps 0.3 / 0.1 = 2.9999999999999996 from adding a tick below 0.3.
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(decimals)));
  return ticks;
}

/** Keeps ticks at least `minGap` pixels apart, always keeping the first; for axes whose ticks are data values. */
export function thinTicks(values: readonly number[], scale: Scale, minGap: number): number[] {
  const kept: number[] = [];
  for (const v of values) {
    const last = kept.at(-1);
    if (last === undefined || Math.abs(scale(v) - scale(last)) >= minGap) kept.push(v);
  }
  return kept;
}
