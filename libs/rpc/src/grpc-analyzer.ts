/** The Analyzer port as a client of the stability-analyzer service, and the conversions both sides use. */
import type { AnalysisJob, AnalysisResult, Analyzer } from '@rewind/runner';
import {
  type AnalyzeRequest,
  type AnalyzeResponse,
  type CompareWeightsResponse,
  type EvaluateLinearPathResponse,
  StabilityAnalyzerServiceClient,
} from '../generated/rewind/v1/stability_analyzer.ts';
import { type CallSettings, channelOptions, insecure, unary } from './client.ts';
import { datasetFromMessage, datasetToMessage, modelFromMessage, modelToMessage } from './hparams-convert.ts';

const opt = (maskId: string | undefined) => (maskId !== undefined ? { maskId } : {});

export function analysisJobToMessage(job: AnalysisJob): AnalyzeRequest {
  switch (job.analysis) {
    case 'pruning':
      return { job: { $case: 'pruning', value: { denseId: job.denseId, subnetId: job.subnetId, maskId: job.maskId, layers: [...job.layers] } } };
    case 'data_order':
      return { job: { $case: 'dataOrder', value: { copyIds: [...job.copyIds], maskId: job.maskId, layers: [...job.layers] } } };
    case 'linear_mode':
      return {
        job: {
          $case: 'linearMode',
          value: {
            copyIds: [...job.copyIds],
            maskId: job.maskId,
            model: modelToMessage(job.model),
            dataset: datasetToMessage(job.dataset),
            alphaPoints: job.alphaPoints,
            threshold: job.threshold,
            pathExamples: job.pathExamples,
          },
        },
      };
  }
}

export function analysisJobFromMessage(m: AnalyzeRequest): AnalysisJob {
  const job = m.job;
  if (job === undefined) throw new Error('analyze request: a job (pruning, data_order or linear_mode) is required');
  switch (job.$case) {
    case 'pruning':
      return { analysis: 'pruning', denseId: job.value.denseId, subnetId: job.value.subnetId, ...opt(job.value.maskId), layers: job.value.layers };
    case 'dataOrder':
      return { analysis: 'data_order', copyIds: job.value.copyIds, ...opt(job.value.maskId), layers: job.value.layers };
    case 'linearMode':
      return {
        analysis: 'linear_mode',
        copyIds: job.value.copyIds,
        ...opt(job.value.maskId),
        model: modelFromMessage(job.value.model),
        dataset: datasetFromMessage(job.value.dataset),
        alphaPoints: job.value.alphaPoints,
        threshold: job.value.threshold,
        pathExamples: job.value.pathExamples,
      };
  }
}

export function distancesToMessage(r: Extract<AnalysisResult, { analysis: 'pruning' | 'data_order' }>): CompareWeightsResponse {
  return { total: { ...r.total }, perLayer: Object.fromEntries(Object.entries(r.perLayer).map(([k, v]) => [k, { ...v }])), normalization: r.normalization };
}

export function linearModeToMessage(r: Extract<AnalysisResult, { analysis: 'linear_mode' }>): EvaluateLinearPathResponse {
  return { path: r.path.map((p) => ({ ...p })), trainBarrier: r.trainBarrier, testBarrier: r.testBarrier, threshold: r.threshold, stable: r.stable };
}

export function analysisResultToMessage(r: AnalysisResult): AnalyzeResponse {
  return r.analysis === 'linear_mode'
    ? { result: { $case: 'linearMode', value: linearModeToMessage(r) } }
    : { result: { $case: 'distances', value: distancesToMessage(r) } };
}

export function analysisResultFromMessage(analysis: AnalysisJob['analysis'], m: AnalyzeResponse): AnalysisResult {
  const r = m.result;
  if (r?.$case === 'linearMode' && analysis === 'linear_mode') return { analysis, ...r.value };
  if (r?.$case === 'distances' && analysis !== 'linear_mode') {
    const summary = (s: { l2: number; l2Normalized: number; weightsCompared: number } | undefined) => s ?? { l2: 0, l2Normalized: 0, weightsCompared: 0 };
    return {
      analysis,
      total: summary(r.value.total),
      perLayer: Object.fromEntries(Object.entries(r.value.perLayer).map(([k, v]) => [k, summary(v)])),
      normalization: r.value.normalization,
    };
  }
  throw new Error(`analyzer answered a ${analysis} analysis with ${r?.$case ?? 'nothing'}`);
}

export class GrpcAnalyzer implements Analyzer {
  private readonly client: StabilityAnalyzerServiceClient;
  private readonly settings: CallSettings;

  constructor(address: string, settings: Partial<CallSettings> = {}) {
    this.client = new StabilityAnalyzerServiceClient(address, insecure(), channelOptions());
    this.settings = { server: `stability-analyzer at ${address}`, ...settings };
  }

  close(): void {
    this.client.close();
  }

  async analyze(job: AnalysisJob): Promise<AnalysisResult> {
    const res = await unary(this.settings, this.client.analyze.bind(this.client), analysisJobToMessage(job));
    return analysisResultFromMessage(job.analysis, res);
  }
}
