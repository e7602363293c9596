/**
 * Linear-mode instability (Frankle et al. 2020): the error barrier on the linear path between two copies
 * of a subnet trained from W_k on different data orders. Stable when the barrier stays under the threshold.
 */
import { allFinite, DATASET_NAMES, type DatasetHparams, MODEL_NAMES, type ModelHparams } from '@rewind/core';
import { alphaGrid, DEFAULT_ALPHA_POINTS, DEFAULT_INSTABILITY_THRESHOLD, measureInstability } from '@rewind/stability';
import { checkpointIds, number, object, optionalCheckpointId } from '../job-fields.ts';
import { type AnalysisJob, type AnalysisKind, type AnalysisResult, JobError } from '../kind.ts';
import { pct } from './distances.ts';

export interface LinearModeJob extends AnalysisJob {
  /** The first two copies. */
  readonly copyIds: readonly string[];
  readonly maskId?: string;
  readonly model: ModelHparams;
  readonly dataset: DatasetHparams;
  readonly alphaPoints: number;
  readonly threshold: number;
  /** Examples of each split evaluated per point (the first N). */
  readonly pathExamples: number;
}

export interface LinearModeResult extends AnalysisResult {
  readonly trainBarrier: number;
  readonly testBarrier: number;
  readonly threshold: number;
  readonly stable: boolean;
  readonly path: readonly { readonly alpha: number; readonly trainError: number; readonly testError: number }[];
}

export const linearMode: AnalysisKind<LinearModeJob, LinearModeResult> = {
  name: 'linear_mode',
  options: [
    { key: 'alpha_points', fallback: DEFAULT_ALPHA_POINTS, min: 2, max: 1000, integer: true },
    { key: 'threshold', fallback: DEFAULT_INSTABILITY_THRESHOLD, min: 0, max: 1 },
    { key: 'path_examples', fallback: 10_000, min: 1, max: 10_000_000, integer: true },
  ],
  plan(subnet, { spec, options }) {
    if (subnet.copyIds.length < 2) return undefined;
    return {
      analysis: 'linear_mode',
      copyIds: subnet.copyIds.slice(0, 2),
      ...(subnet.maskId ? { maskId: subnet.maskId } : {}),
      model: { name: spec.model.name, width: spec.model.width, initSeed: subnet.seed },
      dataset: spec.dataset,
      alphaPoints: options.alpha_points!,
      threshold: options.threshold!,
      pathExamples: options.path_examples!,
    };
  },
  parseJob(raw) {
    const model = object<ModelHparams>(raw, 'model');
    const dataset = object<DatasetHparams>(raw, 'dataset');
    if (!MODEL_NAMES.includes(model.name)) throw new JobError(`model.name: one of ${MODEL_NAMES.join(', ')} is required`);
    if (!DATASET_NAMES.includes(dataset.name) || typeof dataset.dir !== 'string') throw new JobError(`dataset: a name among ${DATASET_NAMES.join(', ')} and a dir are required`);
    return {
      analysis: 'linear_mode',
      copyIds: checkpointIds(raw, 'copyIds', 2, 2),
      ...optionalCheckpointId(raw, 'maskId'),
      model: { name: model.name, width: number(model as never, 'width', 1, 64, true), initSeed: number(model as never, 'initSeed', 0, 2 ** 32 - 1, true) },
      dataset,
      alphaPoints: number(raw, 'alphaPoints', 2, 1000, true),
      threshold: number(raw, 'threshold', 0, 1),
      pathExamples: number(raw, 'pathExamples', 1, 10_000_000, true),
    };
  },
  async analyze(job, tools) {
    const [first, second] = await Promise.all(job.copyIds.map((id) => tools.state(id)));
    // A diverged copy predicts one class everywhere: its flat path would pass for "stable".
    if (!allFinite(first!.params) || !allFinite(second!.params)) {
      return { analysis: 'linear_mode', trainBarrier: Number.NaN, testBarrier: Number.NaN, threshold: job.threshold, stable: false, path: [] };
    }
    const evaluate = await tools.pathEvaluator(job.model, job.dataset, job.pathExamples);
    const mask = job.maskId ? await tools.mask(job.maskId) : undefined;
    const r = await measureInstability({ first: first!, second: second!, ...(mask ? { mask } : {}), alphas: alphaGrid(job.alphaPoints), threshold: job.threshold, evaluate });
    return { analysis: 'linear_mode', trainBarrier: r.trainBarrier, testBarrier: r.testBarrier, threshold: r.threshold, stable: r.stable, path: r.path };
  },
  columns: [
    { header: 'test barrier %', cell: (r) => pct(r.testBarrier) },
    { header: 'train barrier %', cell: (r) => pct(r.trainBarrier) },
    { header: 'stable', cell: (r) => (r.stable ? 'yes' : 'no') },
  ],
  figure: { file: 'instability-vs-rewind', title: 'instability vs rewind point', value: (r) => r.testBarrier },
};
