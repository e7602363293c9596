/** Analysis results as rows, and the stability table: one line per (seed, round, kind, k), columns per analysis kind. */
import { renderTable } from '@rewind/core';
import { pct } from './analyses/distances.ts';
import type { AnalysisResult } from './kind.ts';
import { ANALYSES } from './registry.ts';

export interface AnalysisRow {
  /** The analysed branch: the ticket, a control, or (round 0) the dense net retrained from W_k. */
  readonly experiment: string;
  readonly trunk: string;
  readonly seed: number;
  /** `dense`, `ticket` or a control's name. */
  readonly kind: string;
  readonly rewindStep: number;
  readonly round: number;
  readonly weightsRemaining: number;
  readonly analysis: string;
  readonly result: AnalysisResult;
}

export function formatStabilityTable(rows: readonly AnalysisRow[]): string {
  if (rows.length === 0) return '';
  const kinds = ANALYSES.filter((a) => rows.some((r) => r.analysis === a.name));
  const keyOf = (r: AnalysisRow) => `${r.seed}|${r.round}|${r.kind}|${r.rewindStep}`;
  const lines = [...new Set(rows.map(keyOf))].map((key) => {
    const group = rows.filter((r) => keyOf(r) === key);
    const r = group[0]!;
    const cells = kinds.flatMap((kind) => {
      const result = group.find((g) => g.analysis === kind.name)?.result;
      return kind.columns.map((c) => (result ? c.cell(result) : ''));
    });
    return [String(r.seed), String(r.round), pct(r.weightsRemaining), r.kind, `${r.rewindStep}it`, ...cells];
  });
  const header = ['seed', 'round', 'weights %', 'kind', 'k', ...kinds.flatMap((k) => k.columns.map((c) => c.header))];
  const legends = [...new Set(kinds.flatMap((k) => (k.legend ? [k.legend] : [])))];
  return `${[renderTable(header, lines), ...legends].join('\n')}\n`;
}
