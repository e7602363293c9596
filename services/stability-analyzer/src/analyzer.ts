/** The StabilityAnalyzer API over LocalAnalyzer (which loads checkpoints from the store and measures). */
import { LocalAnalyzer } from '@rewind/analysis';
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
  return {
    // A two-copy data-order comparison is exactly "distance between two weight sets".
    compareWeights: unaryHandler(
      'stability.compare',
      async (r) => {
        const result = await analyzer.analyze({
          analysis: 'data_order',
          copyIds: [r.firstId, r.secondId],
          ...(r.maskId !== undefined ? { maskId: r.maskId } : {}),
          layers: r.layers.length > 0 ? r.layers : Object.keys((await store.getState(r.firstId)).value.params),
        });
        if (result.analysis === 'linear_mode') throw new Error('unexpected linear-mode result');
        return distancesToMessage(result);
      },
      (r) => ({ [ATTR.checkpoint]: r.firstId }),
    ),
    evaluateLinearPath: unaryHandler('stability.linear_path', async (r) => {
      const result = await analyzer.analyze({
        analysis: 'linear_mode',
        copyIds: [r.firstId, r.secondId],
        ...(r.maskId !== undefined ? { maskId: r.maskId } : {}),
        model: modelFromMessage(r.model),
        dataset: datasetFromMessage(r.dataset),
        alphaPoints: r.points || DEFAULT_ALPHA_POINTS,
        threshold: r.threshold ?? DEFAULT_INSTABILITY_THRESHOLD,
        pathExamples: r.pathExamples ?? DEFAULT_PATH_EXAMPLES,
      });
      if (result.analysis !== 'linear_mode') throw new Error('unexpected distance result');
      return linearModeToMessage(result);
    }),
    analyze: unaryHandler('stability.analyze', async (r) => analysisResultToMessage(await analyzer.analyze(analysisJobFromMessage(r)))),
  };
}
