/**
 * Layer-wise sparsity of a pruned subnet: the fraction of each prunable layer's weights its mask keeps.
 * Global magnitude pruning spreads sparsity unevenly; this shows where. Opt-in: list `layer_sparsity`.
 */
import { countAlive } from '@rewind/core';
import { checkpointId } from '../job-fields.ts';
import type { AnalysisJob, AnalysisKind, AnalysisResult } from '../kind.ts';
import { pct } from './distances.ts';

export interface LayerSparsityJob extends AnalysisJob {
  readonly maskId: string;
}

export interface LayerSparsityResult extends AnalysisResult {
  /** Fraction of weights kept, per layer. */
  readonly remaining: Readonly<Record<string, number>>;
  readonly sparsestLayer: string;
}

export const layerSparsity: AnalysisKind<LayerSparsityJob, LayerSparsityResult> = {
  name: 'layer_sparsity',
  optIn: true,
  options: [],
  plan: (subnet) => (subnet.maskId ? { analysis: 'layer_sparsity', maskId: subnet.maskId } : undefined),
  parseJob: (raw) => ({ analysis: 'layer_sparsity', maskId: checkpointId(raw, 'maskId') }),
  async analyze(job, tools) {
    const mask = await tools.mask(job.maskId);
    const remaining = Object.fromEntries(
      Object.keys(mask).map((layer) => {
        const { alive, total } = countAlive({ [layer]: mask[layer]! });
        return [layer, alive / total];
      }),
    );
    const sparsestLayer = Object.keys(remaining).reduce((a, b) => (remaining[b]! < remaining[a]! ? b : a));
    return { analysis: 'layer_sparsity', remaining, sparsestLayer };
  },
  columns: [{ header: 'sparsest layer (% kept)', cell: (r) => `${r.sparsestLayer} ${pct(r.remaining[r.sparsestLayer] ?? null)}` }],
};
