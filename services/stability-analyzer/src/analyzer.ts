/** The StabilityAnalyzer API over LocalAnalyzer (which loads checkpoints from the store and measures). */
import { LocalAnalyzer } from '@rewind/local';
import { checkCheckpointId } from '@rewind/core';
import { analysisKind, type DistanceResult, type LinearModeResult } from '@rewind/kinds';
import type { CheckpointStore } from '@rewind/runner';
import {
  analysisJobFromMessage,
  analysisResultToMessage,
  datasetFromMessage,
  distancesToMessage,
  linearModeToMessage,
  modelFromMessage,
  type StabilityAnalyzerServiceServer,
  unaryHandler,
} from '@rewind/rpc';
import { DEFAULT_ALPHA_POINTS, DEFAULT_INSTABILITY_THRESHOLD } from '@rewind/stability';
import { ATTR } from '@rewind/telemetry';

/** As the sweep spec's default: enough for a steady estimate, few enough for 30+ points. */
const DEFAULT_PATH_EXAMPLES = 10_000;

export function analyzerService(store: CheckpointStore): StabilityAnalyzerServiceServer {
  const analyzer = new LocalAnalyzer(store);
  // Both direct calls go through their analysis kind's own checks, as Analyze does.
  const run = async (analysis: string, job: Record<string, unknown>) => analyzer.analyze(analysisKind(analysis).parseJob({ analysis, ...job }));
  return {
    // A two-copy data-order comparison is exactly "distance between two weight sets".
    compareWeights: unaryHandler(
      'stability.compare',
      async (r) => {
        const layers = r.layers.length > 0 ? r.layers : Object.keys((await store.getState(checkCheckpointId(r.firstId))).value.params);
        const result = await run('data_order', { copyIds: [r.firstId, r.secondId], ...(r.maskId !== undefined ? { maskId: r.maskId } : {}), layers });
        return distancesToMessage(result as DistanceResult);
      },
      (r) => ({ [ATTR.checkpoint]: r.firstId }),
    ),
    evaluateLinearPath: unaryHandler('stability.linear_path', async (r) => {
      const result = await run('linear_mode', {
        copyIds: [r.firstId, r.secondId],
        ...(r.maskId !== undefined ? { maskId: r.maskId } : {}),
        model: modelFromMessage(r.model),
        dataset: datasetFromMessage(r.dataset),
        alphaPoints: r.points || DEFAULT_ALPHA_POINTS,
        threshold: r.threshold ?? DEFAULT_INSTABILITY_THRESHOLD,
        pathExamples: r.pathExamples ?? DEFAULT_PATH_EXAMPLES,
      });
      return linearModeToMessage(result as LinearModeResult);
    }),
    analyze: unaryHandler('stability.analyze', async (r) => analysisResultToMessage(await analyzer.analyze(analysisJobFromMessage(r)))),
  };
}
