/** The Analyzer port as a client of the stability-analyzer service, and the conversions both sides use. */
import { analysisKind, type DistanceResult, type LinearModeResult } from '@rewind/kinds';
import type { AnalysisJob, AnalysisResult, Analyzer } from '@rewind/runner';
import {
  type AnalyzeRequest,
  type AnalyzeResponse,
  type CompareWeightsResponse,
  type EvaluateLinearPathResponse,
  StabilityAnalyzerServiceClient,
} from '../generated/rewind/v1/stability_analyzer.ts';
import { type CallSettings, channelOptions, unary } from './client.ts';
import { channelCredentials } from './tls.ts';
import { InvalidArgumentError } from './errors.ts';

/** A job goes as its kind's tag plus its own JSON: the wire never needs to know a kind. */
export function analysisJobToMessage({ analysis, ...job }: AnalysisJob): AnalyzeRequest {
  return { analysis, jobJson: JSON.stringify(job) };
}

/** Checks the tag against the registry and the job against its kind (INVALID_ARGUMENT otherwise). */
export function analysisJobFromMessage(m: AnalyzeRequest): AnalysisJob {
  const kind = analysisKind(m.analysis);
  return kind.parseJob(parseObject(m.jobJson, 'job_json'));
}

export function analysisResultToMessage({ analysis, ...result }: AnalysisResult): AnalyzeResponse {
  return { analysis, resultJson: JSON.stringify(result) };
}

export function analysisResultFromMessage(analysis: string, m: AnalyzeResponse): AnalysisResult {
  if (m.analysis !== analysis) throw new Error(`analyzer answered a ${analysis} analysis with ${m.analysis || 'nothing'}`);
  return { ...parseObject(m.resultJson, 'result_json'), analysis };
}

function parseObject(json: string, field: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new InvalidArgumentError(`${field} is not JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError(`${field} must be a JSON object`);
  return value as Record<string, unknown>;
}

export function distancesToMessage(r: DistanceResult): CompareWeightsResponse {
  return { total: { ...r.total }, perLayer: Object.fromEntries(Object.entries(r.perLayer).map(([k, v]) => [k, { ...v }])), normalization: r.normalization };
}

export function linearModeToMessage(r: LinearModeResult): EvaluateLinearPathResponse {
  return { path: r.path.map((p) => ({ ...p })), trainBarrier: r.trainBarrier, testBarrier: r.testBarrier, threshold: r.threshold, stable: r.stable };
}

export class GrpcAnalyzer implements Analyzer {
  private readonly client: StabilityAnalyzerServiceClient;
  private readonly settings: CallSettings;

  constructor(address: string, settings: Partial<CallSettings> = {}) {
    this.client = new StabilityAnalyzerServiceClient(address, settings.credentials ?? channelCredentials(), channelOptions());
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
