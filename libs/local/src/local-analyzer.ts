/**
 * An Analyzer in this process: runs the job's analysis kind with tools that load checkpoints from the
 * store and evaluate networks with the engine. The stability-analyzer service serves the same class.
 */
import type { DatasetHparams, ModelHparams } from '@rewind/core';
import { evaluate, openTrainingData, type Weights } from '@rewind/engine';
import { type AnalysisTools, analysisKind } from '@rewind/kinds';
import type { AnalysisJob, AnalysisResult, Analyzer, CheckpointStore } from '@rewind/runner';

export class LocalAnalyzer implements Analyzer {
  private readonly tools: AnalysisTools;

  constructor(store: CheckpointStore) {
    this.tools = {
      state: async (id) => (await store.getState(id)).value,
      params: async (id) => (await store.getState(id)).value.params,
      mask: async (id) => (await store.getMask(id)).value,
      pathEvaluator,
    };
  }

  analyze(job: AnalysisJob, signal?: AbortSignal): Promise<AnalysisResult> {
    if (signal === undefined) return analysisKind(job.analysis).analyze(job, this.tools);
    // Every load and every network evaluated first checks for a stop: a path is dozens of evaluations.
    const checked = <A extends unknown[], R>(f: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
      signal.throwIfAborted();
      return f(...args);
    };
    const tools: AnalysisTools = {
      state: checked(this.tools.state),
      params: checked(this.tools.params),
      mask: checked(this.tools.mask),
      pathEvaluator: async (...args) => checked(await this.tools.pathEvaluator(...args)),
    };
    return analysisKind(job.analysis).analyze(job, tools);
  }
}

/** Errors of a network on the first `examples` examples of each split: 30+ evaluations per path stay affordable. */
async function pathEvaluator(model: ModelHparams, datasetHparams: DatasetHparams, examples: number) {
  const data = await openTrainingData(datasetHparams);
  const { train, test } = await data.heads(examples);
  return async (weights: Weights) => ({
    trainError: 1 - (await evaluate(model, weights, train)).accuracy,
    testError: 1 - (await evaluate(model, weights, test)).accuracy,
  });
}
