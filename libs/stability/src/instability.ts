import type { Mask } from '@rewind/core';
import { alphaGrid, interpolateNetwork, type NetworkWeights } from './interpolation.ts';

/** Frankle et al. 2020 call a network stable to SGD noise when its error barrier is below 2%. */
export const DEFAULT_INSTABILITY_THRESHOLD = 0.02;

export interface PathPoint {
  readonly alpha: number;
  /** Error as a fraction in [0, 1], the same unit as the threshold. */
  readonly error: number;
}

/**
 * Error barrier height (Frankle et al. 2020): sup over α of error(α) minus the mean of the two endpoint
 * errors. The endpoints lie on the path, so the result is never negative.
 */
export function errorBarrier(points: readonly PathPoint[]): number {
  const start = points.find((p) => p.alpha === 0);
  const end = points.find((p) => p.alpha === 1);
  if (start === undefined || end === undefined) throw new Error('the path must include both endpoints, α=0 and α=1');
  let peak = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    if (!Number.isFinite(p.error)) throw new Error(`error at α=${p.alpha} is not finite: ${p.error}`);
    peak = Math.max(peak, p.error);
  }
  return peak - (start.error + end.error) / 2;
}

/** Which barrier decides `stable`; the papers report the test barrier and check that train agrees. */
export type StabilityCriterion = 'test' | 'train' | 'both';

export interface PathEvaluation {
  readonly alpha: number;
  readonly trainError: number;
  readonly testError: number;
}

export interface InstabilityResult {
  readonly trainBarrier: number;
  readonly testBarrier: number;
  readonly threshold: number;
  readonly criterion: StabilityCriterion;
  /** The criterion's barrier (or both, for 'both') is strictly below the threshold. */
  readonly stable: boolean;
  /** Every evaluated point, in increasing α. */
  readonly path: readonly PathEvaluation[];
}

export interface InstabilityOptions {
  readonly threshold?: number;
  readonly criterion?: StabilityCriterion;
}

/** Instability from errors already measured along the path. */
export function instabilityFromPath(
  path: readonly PathEvaluation[],
  options: InstabilityOptions = {},
): InstabilityResult {
  const threshold = options.threshold ?? DEFAULT_INSTABILITY_THRESHOLD;
  const criterion = options.criterion ?? 'test';
  const sorted = [...path].sort((a, b) => a.alpha - b.alpha);
  const trainBarrier = errorBarrier(sorted.map((p) => ({ alpha: p.alpha, error: p.trainError })));
  const testBarrier = errorBarrier(sorted.map((p) => ({ alpha: p.alpha, error: p.testError })));
  const stable =
    criterion === 'test'
      ? testBarrier < threshold
      : criterion === 'train'
        ? trainBarrier < threshold
        : testBarrier < threshold && trainBarrier < threshold;
  return { trainBarrier, testBarrier, threshold, criterion, stable, path: sorted };
}

export interface MeasureInstabilityInput extends InstabilityOptions {
  /** Two copies trained from the same rewind point with different data orders. */
  readonly first: NetworkWeights;
  readonly second: NetworkWeights;
  /** Holds pruned weights at zero along the whole path. */
  readonly mask?: Mask;
  /** Defaults to `alphaGrid()`; must include 0 and 1. */
  readonly alphas?: readonly number[];
  /** Train and test error of one point on the path, as fractions. */
  readonly evaluate: (weights: NetworkWeights, alpha: number) => Promise<{ trainError: number; testError: number }>;
}

/**
 * Linear-mode instability: evaluates the interpolated network at each α and reports the barriers.
 * Points are evaluated one after another so at most one interpolated copy is alive at a time.
 */
export async function measureInstability(input: MeasureInstabilityInput): Promise<InstabilityResult> {
  const path: PathEvaluation[] = [];
  for (const alpha of input.alphas ?? alphaGrid()) {
    const weights = interpolateNetwork(input.first, input.second, alpha, input.mask);
    const { trainError, testError } = await input.evaluate(weights, alpha);
    path.push({ alpha, trainError, testError });
  }
  return instabilityFromPath(path, input);
}
