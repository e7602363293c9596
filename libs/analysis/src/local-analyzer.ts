/**
 * An Analyzer in this process: loads checkpoints from the store, measures distances with
 * `@rewind/stability`, and evaluates points on the linear path with the engine.
 */
import { allFinite, fullMask } from '@rewind/core';
import { loadDataset, type Split } from '@rewind/data';
import { evaluate } from '@rewind/engine';
import type { AnalysisJob, AnalysisResult, Analyzer, CheckpointStore } from '@rewind/runner';
import { alphaGrid, dataOrderStability, measureInstability, pruningStability } from '@rewind/stability';

export class LocalAnalyzer implements Analyzer {
  constructor(private readonly store: CheckpointStore) {}

  async analyze(job: AnalysisJob): Promise<AnalysisResult> {
    const mask = job.maskId ? (await this.store.getMask(job.maskId)).value : undefined;
    switch (job.analysis) {
      case 'pruning': {
        const [dense, subnet] = await Promise.all([this.params(job.denseId), this.params(job.subnetId)]);
        const d = pruningStability(dense, subnet, mask ?? fullMask(subnet, job.layers), job.layers);
        return { analysis: 'pruning', total: d.total, perLayer: d.perLayer, normalization: d.normalization };
      }
      case 'data_order': {
        const copies = await Promise.all(job.copyIds.map((id) => this.params(id)));
        const d = dataOrderStability(copies, mask ?? fullMask(copies[0]!, job.layers), job.layers);
        return { analysis: 'data_order', total: d.total, perLayer: d.perLayer, normalization: d.normalization };
      }
      case 'linear_mode': {
        const [first, second] = await Promise.all(job.copyIds.slice(0, 2).map(async (id) => (await this.store.getState(id)).value));
        // A diverged copy predicts one class everywhere: its flat path would pass for "stable".
        if (!allFinite(first!.params) || !allFinite(second!.params)) {
          return { analysis: 'linear_mode', trainBarrier: Number.NaN, testBarrier: Number.NaN, threshold: job.threshold, stable: false, path: [] };
        }
        const dataset = await loadDataset(job.dataset);
        // The first N examples of each split keep 30+ evaluations per path affordable.
        const trainSample = head(dataset.train, job.pathExamples, dataset.inputShape);
        const testSample = head(dataset.test, job.pathExamples, dataset.inputShape);
        const result = await measureInstability({
          first: first!,
          second: second!,
          ...(mask ? { mask } : {}),
          alphas: alphaGrid(job.alphaPoints),
          threshold: job.threshold,
          evaluate: async (weights) => {
            const train = await evaluate(job.model, weights, trainSample, dataset.inputShape);
            const test = await evaluate(job.model, weights, testSample, dataset.inputShape);
            return { trainError: 1 - train.accuracy, testError: 1 - test.accuracy };
          },
        });
        return {
          analysis: 'linear_mode',
          trainBarrier: result.trainBarrier,
          testBarrier: result.testBarrier,
          threshold: result.threshold,
          stable: result.stable,
          path: result.path,
        };
      }
    }
  }

  private async params(id: string) {
    return (await this.store.getState(id)).value.params;
  }
}

function head(split: Split, count: number, inputShape: readonly number[]): Split {
  const n = Math.min(count, split.count);
  const size = inputShape.reduce((a, b) => a * b, 1);
  return { images: split.images.subarray(0, n * size), labels: split.labels.subarray(0, n), count: n };
}
