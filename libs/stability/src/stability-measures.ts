import type { Mask, TensorSet } from '@rewind/core';
import {
  type DistanceOptions,
  type DistanceSummary,
  L2_NORMALIZATION,
  type WeightDistance,
  weightDistance,
} from './distance.ts';

function subnetOptions(mask: Mask, layers: readonly string[] | undefined): DistanceOptions {
  return layers === undefined ? { mask } : { mask, layers };
}

/**
 * Pruning stability (Frankle et al. 2019): how far pruning moves training. Compares the dense network trained
 * from the rewind point with the subnetwork trained from the same point under the same data order, over the
 * subnetwork's surviving weights only. Lower is more stable.
 */
export function pruningStability(
  denseTrained: TensorSet,
  subnetTrained: TensorSet,
  mask: Mask,
  layers?: readonly string[],
): WeightDistance {
  return weightDistance(denseTrained, subnetTrained, subnetOptions(mask, layers));
}

export interface CopyPairDistance {
  /** Indices of the two copies, first < second. */
  readonly first: number;
  readonly second: number;
  readonly distance: WeightDistance;
}

/** Mean distances over every pair of copies, with each pair kept for inspection. */
export interface DataOrderStability extends WeightDistance {
  readonly pairs: readonly CopyPairDistance[];
}

function meanSummary(summaries: readonly DistanceSummary[]): DistanceSummary {
  let l2 = 0;
  let l2Normalized = 0;
  for (const s of summaries) {
    l2 += s.l2;
    l2Normalized += s.l2Normalized;
  }
  // Every pair compares the same positions, so the count is shared, not averaged.
  return {
    l2: l2 / summaries.length,
    l2Normalized: l2Normalized / summaries.length,
    weightsCompared: summaries[0]!.weightsCompared,
  };
}

/**
 * Data-order stability (Frankle et al. 2019): subnetwork copies trained from the same rewind point with
 * different data-order seeds, compared over the surviving weights. With N > 2 copies, the mean over all
 * N(N−1)/2 pairs. Lower is more stable.
 */
export function dataOrderStability(
  copies: readonly TensorSet[],
  mask: Mask,
  layers?: readonly string[],
): DataOrderStability {
  if (copies.length < 2) throw new Error(`data-order stability needs at least 2 copies, got ${copies.length}`);
  const options = subnetOptions(mask, layers);
  const pairs: CopyPairDistance[] = [];
  for (let i = 0; i < copies.length; i++) {
    for (let j = i + 1; j < copies.length; j++) {
      pairs.push({ first: i, second: j, distance: weightDistance(copies[i]!, copies[j]!, options) });
    }
  }
  const perLayer: Record<string, DistanceSummary> = {};
  for (const name of Object.keys(pairs[0]!.distance.perLayer)) {
    perLayer[name] = meanSummary(pairs.map((p) => p.distance.perLayer[name]!));
  }
  return {
    total: meanSummary(pairs.map((p) => p.distance.total)),
    perLayer,
    normalization: L2_NORMALIZATION,
    pairs,
  };
}
