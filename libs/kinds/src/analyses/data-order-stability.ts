/**
 * Data-order stability (Frankle et al. 2019): the mean L2 distance between copies of one subnet trained
 * from the same W_k on different data orders. Needs two copies or more.
 */
import { fullMask } from '@rewind/core';
import { dataOrderStability as measure } from '@rewind/stability';
import { checkpointIds, names, optionalCheckpointId } from '../job-fields.ts';
import type { AnalysisJob, AnalysisKind } from '../kind.ts';
import { DISTANCE_LEGEND, type DistanceResult, distanceCell, distanceResult } from './distances.ts';

export interface DataOrderJob extends AnalysisJob {
  readonly copyIds: readonly string[];
  readonly maskId?: string;
  readonly layers: readonly string[];
}

export const dataOrderStability: AnalysisKind<DataOrderJob, DistanceResult> = {
  name: 'data_order',
  options: [],
  plan(subnet, { layers }) {
    if (subnet.copyIds.length < 2) return undefined;
    return { analysis: 'data_order', copyIds: subnet.copyIds, ...(subnet.maskId ? { maskId: subnet.maskId } : {}), layers };
  },
  parseJob: (raw) => ({ analysis: 'data_order', copyIds: checkpointIds(raw, 'copyIds', 2), ...optionalCheckpointId(raw, 'maskId'), layers: names(raw, 'layers') }),
  async analyze(job, tools) {
    const copies = await Promise.all(job.copyIds.map((id) => tools.params(id)));
    const mask = job.maskId ? await tools.mask(job.maskId) : fullMask(copies[0]!, job.layers);
    return distanceResult('data_order', measure(copies, mask, job.layers));
  },
  columns: [{ header: 'data-order L2 / norm', cell: distanceCell }],
  legend: DISTANCE_LEGEND,
};
