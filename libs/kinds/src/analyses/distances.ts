/** What the two distance analyses share: their result, its wire check and its table cell. */
import type { DistanceSummary, WeightDistance } from '@rewind/stability';
import type { AnalysisResult } from '../kind.ts';

export interface DistanceResult extends AnalysisResult {
  readonly total: DistanceSummary;
  readonly perLayer: Readonly<Record<string, DistanceSummary>>;
  /** How l2Normalized is normalised. */
  readonly normalization: string;
}

export function distanceResult(analysis: string, d: WeightDistance): DistanceResult {
  return { analysis, total: d.total, perLayer: d.perLayer, normalization: d.normalization };
}

/** Results pass through JSON, where NaN (a diverged run) becomes null. */
export const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);
export const pct = (x: number | null) => (finite(x) ? (100 * x).toFixed(2) : 'diverged');
const fixed = (x: number | null) => (finite(x) ? x.toFixed(3) : 'diverged');

export const distanceCell = (r: DistanceResult) => `${fixed(r.total.l2)} / ${fixed(r.total.l2Normalized)}`;
export const DISTANCE_LEGEND = '(L2 / norm: L2 distance, and L2 normalised by the mean of the two weight norms)';
