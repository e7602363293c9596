import type { HostTensor, Mask, MaskTensor, TensorSet } from '@rewind/core';

/**
 * How `l2Normalized` is scaled: the L2 distance divided by the mean of the two weight vectors' L2 norms,
 * both norms taken over exactly the weights that were compared. Symmetric in its arguments, so a
 * data-order distance does not depend on which copy comes first. Defined as 0 when both norms are 0.
 */
export const L2_NORMALIZATION = '‖θ₁−θ₂‖₂ / ((‖θ₁‖₂ + ‖θ₂‖₂) / 2), over the compared weights' as const;

export interface DistanceSummary {
  /** ‖θ₁−θ₂‖₂ over the compared weights. */
  readonly l2: number;
  /** `l2` scaled as described by `L2_NORMALIZATION`. */
  readonly l2Normalized: number;
  /** How many weights entered the sums (surviving weights only, when a mask applies). */
  readonly weightsCompared: number;
}

export interface WeightDistance {
  /** All compared layers taken together as one vector. */
  readonly total: DistanceSummary;
  /** Each compared layer on its own, in the order the layers were given. */
  readonly perLayer: Readonly<Record<string, DistanceSummary>>;
  readonly normalization: typeof L2_NORMALIZATION;
}

export interface DistanceOptions {
  /** Layers to compare. Defaults to the mask's layers when a mask is given, else to every tensor of the first set. */
  readonly layers?: readonly string[];
  /** Compare only the weights this mask keeps; layers the mask does not name are compared in full. */
  readonly mask?: Mask;
}

/** The three float64 sums every summary derives from; kept so layers can be pooled exactly. */
interface SquaredSums {
  diff: number;
  first: number;
  second: number;
  count: number;
}

function summarize(sums: SquaredSums): DistanceSummary {
  const l2 = Math.sqrt(sums.diff);
  const meanNorm = (Math.sqrt(sums.first) + Math.sqrt(sums.second)) / 2;
  return { l2, l2Normalized: meanNorm === 0 ? 0 : l2 / meanNorm, weightsCompared: sums.count };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function tensorOf(set: TensorSet, name: string, which: string): HostTensor {
  const t = set[name];
  if (t === undefined) throw new Error(`layer "${name}" is missing from the ${which} tensor set`);
  return t;
}

function layerSums(name: string, a: HostTensor, b: HostTensor, keep: MaskTensor | undefined): SquaredSums {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`layer "${name}" has shape [${a.shape}] in one set and [${b.shape}] in the other`);
  }
  if (keep !== undefined && !sameShape(keep.shape, a.shape)) {
    throw new Error(`mask for layer "${name}" has shape [${keep.shape}], weights have [${a.shape}]`);
  }
  const sums: SquaredSums = { diff: 0, first: 0, second: 0, count: 0 };
  for (let i = 0; i < a.data.length; i++) {
    if (keep !== undefined && keep.data[i] === 0) continue;
    const x = a.data[i]!;
    const y = b.data[i]!;
    sums.diff += (x - y) * (x - y);
    sums.first += x * x;
    sums.second += y * y;
    sums.count++;
  }
  return sums;
}

/** L2 distances between two weight sets, per layer and in total, optionally over a mask's surviving weights only. */
export function weightDistance(first: TensorSet, second: TensorSet, options: DistanceOptions = {}): WeightDistance {
  const { mask } = options;
  const layers = options.layers ?? Object.keys(mask ?? first);
  const pooled: SquaredSums = { diff: 0, first: 0, second: 0, count: 0 };
  const perLayer: Record<string, DistanceSummary> = {};
  for (const name of layers) {
    const sums = layerSums(name, tensorOf(first, name, 'first'), tensorOf(second, name, 'second'), mask?.[name]);
    perLayer[name] = summarize(sums);
    pooled.diff += sums.diff;
    pooled.first += sums.first;
    pooled.second += sums.second;
    pooled.count += sums.count;
  }
  return { total: summarize(pooled), perLayer, normalization: L2_NORMALIZATION };
}
