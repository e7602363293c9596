/** Which stability analyses a round gets, and their results as rows of a table. */
import { type BranchPlan, renderTable, type ResultRow, type SweepSpec } from '@rewind/core';
import type { AnalysisJob, AnalysisResult, TrainJobResult } from './ports.ts';

export interface AnalysisRow {
  /** The analysed branch: the ticket, a control, or (round 0) the dense net retrained from W_k. */
  readonly experiment: string;
  readonly trunk: string;
  readonly seed: number;
  readonly kind: ResultRow['kind'];
  readonly rewindStep: number;
  readonly round: number;
  readonly weightsRemaining: number;
  readonly analysis: AnalysisJob['analysis'];
  readonly result: AnalysisResult;
}

interface Trained {
  readonly branch: BranchPlan;
  readonly record: { readonly row: ResultRow; readonly result: TrainJobResult };
}

/** One group per analysed kind (ticket, each control, or dense): its copies in copy order. */
export function analysisJobsFor(spec: SweepSpec, denseFinalId: string, layers: readonly string[], trained: readonly Trained[]): { row: Omit<AnalysisRow, 'result'>; job: AnalysisJob }[] {
  const stability = spec.stability!;
  const groups = new Map<string, Trained[]>();
  for (const t of trained) {
    const kind = t.record.row.kind;
    groups.set(kind, [...(groups.get(kind) ?? []), t]);
  }
  const out: { row: Omit<AnalysisRow, 'result'>; job: AnalysisJob }[] = [];
  for (const copies of groups.values()) {
    copies.sort((a, b) => a.branch.copy - b.branch.copy);
    const first = copies[0]!.record.row;
    const maskId = first.maskId;
    const mask = maskId ? { maskId } : {};
    const copyIds = copies.map((c) => c.record.result.finalId);
    const row = {
      experiment: first.experiment,
      trunk: first.trunk,
      seed: first.seed,
      kind: first.kind,
      rewindStep: first.rewindStep,
      round: first.round,
      weightsRemaining: first.weightsRemaining,
    };
    for (const analysis of stability.analyses) {
      if (analysis === 'pruning' && first.round > 0) {
        out.push({ row: { ...row, analysis }, job: { analysis, denseId: denseFinalId, subnetId: first.finalId, ...mask, layers } });
      } else if (analysis === 'data_order' && copyIds.length >= 2) {
        out.push({ row: { ...row, analysis }, job: { analysis, copyIds, ...mask, layers } });
      } else if (analysis === 'linear_mode' && copyIds.length >= 2) {
        const job: AnalysisJob = {
          analysis,
          copyIds: copyIds.slice(0, 2),
          ...mask,
          model: { name: spec.model.name, width: spec.model.width, initSeed: first.seed },
          dataset: spec.dataset,
          alphaPoints: stability.alphaPoints,
          threshold: stability.threshold,
          pathExamples: stability.pathExamples,
        };
        out.push({ row: { ...row, analysis }, job });
      }
    }
  }
  return out;
}

/** Results pass through JSON, where NaN (a diverged run) becomes null. */
const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);
const pct = (x: number | null) => (finite(x) ? (100 * x).toFixed(2) : 'diverged');
const fixed = (x: number | null) => (finite(x) ? x.toFixed(3) : 'diverged');

/** Stability against the rewind point: one line per (round, kind, k). */
export function formatStabilityTable(rows: readonly AnalysisRow[]): string {
  if (rows.length === 0) return '';
  const keyOf = (r: AnalysisRow) => `${r.seed}|${r.round}|${r.kind}|${r.rewindStep}`;
  const keys = [...new Set(rows.map(keyOf))];
  const lines = keys.map((key) => {
    const group = rows.filter((r) => keyOf(r) === key);
    const r = group[0]!;
    const cell = (analysis: AnalysisRow['analysis']) => group.find((g) => g.analysis === analysis)?.result;
    const pruning = cell('pruning');
    const order = cell('data_order');
    const linear = cell('linear_mode');
    const dist = (x: AnalysisResult | undefined) => (x && x.analysis !== 'linear_mode' ? `${fixed(x.total.l2)} / ${fixed(x.total.l2Normalized)}` : '');
    return [
      String(r.seed),
      String(r.round),
      pct(r.weightsRemaining),
      r.kind,
      `${r.rewindStep}it`,
      dist(pruning),
      dist(order),
      linear?.analysis === 'linear_mode' ? pct(linear.testBarrier) : '',
      linear?.analysis === 'linear_mode' ? pct(linear.trainBarrier) : '',
      linear?.analysis === 'linear_mode' ? (linear.stable ? 'yes' : 'no') : '',
    ];
  });
  const header = ['seed', 'round', 'weights %', 'kind', 'k', 'pruning L2 / norm', 'data-order L2 / norm', 'test barrier %', 'train barrier %', 'stable'];
  return `${renderTable(header, lines)}\n(L2 / norm: L2 distance, and L2 normalised by the mean of the two weight norms)\n`;
}
