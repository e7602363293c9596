/**
 * Pruning stability (Frankle et al. 2019): the L2 distance between the dense trunk's trained weights and
 * a pruned subnet's, over the subnet's surviving weights. Rounds > 0 only: the dense net is not pruned.
 */
import { fullMask } from '@rewind/core';
import { pruningStability as measure } from '@rewind/stability';
import { checkpointId, names, optionalCheckpointId } from '../job-fields.ts';
import type { AnalysisJob, AnalysisKind } from '../kind.ts';
import { DISTANCE_LEGEND, type DistanceResult, distanceCell, distanceResult } from './distances.ts';

export interface PruningJob extends AnalysisJob {
  readonly denseId: string;
  readonly subnetId: string;
  readonly maskId?: string;
  /** The prunable layers: distances are over their surviving weights. */
  readonly layers: readonly string[];
}

export const pruningStability: AnalysisKind<PruningJob, DistanceResult> = {
  name: 'pruning',
  options: [],
  plan(subnet, { denseId, layers }) {
    if (subnet.round === 0) return undefined;
    return { analysis: 'pruning', denseId, subnetId: subnet.copyIds[0]!, ...(subnet.maskId ? { maskId: subnet.maskId } : {}), layers };
  },
  parseJob: (raw) => ({
    analysis: 'pruning',
    denseId: checkpointId(raw, 'denseId'),
    subnetId: checkpointId(raw, 'subnetId'),
    ...optionalCheckpointId(raw, 'maskId'),
    layers: names(raw, 'layers'),
  }),
  async analyze(job, tools) {
    const [dense, subnet] = await Promise.all([tools.params(job.denseId), tools.params(job.subnetId)]);
    const mask = job.maskId ? await tools.mask(job.maskId) : fullMask(subnet, job.layers);
    return distanceResult('pruning', measure(dense, subnet, mask, job.layers));
  },
  columns: [{ header: 'pruning L2 / norm', cell: distanceCell }],
  legend: DISTANCE_LEGEND,
};
