/**
 * A finished sweep's product, the same from both modes: `rewind run` writes it as results.json, the
 * coordinator keeps it for `rewind show|report --sweep`, and both print it with `formatResults`.
 */
import { formatAccuracyTable, type ResultRow, type SweepSpec, sweepId } from '@rewind/core';
import { type AnalysisRow, formatStabilityTable } from './stability-table.ts';

export interface SweepResults {
  readonly name: string;
  readonly sweep: string;
  readonly model: string;
  readonly dataset: string;
  readonly backends: readonly string[];
  readonly trainings: number;
  readonly rows: readonly ResultRow[];
  /** Analyses, when the spec asked for them. */
  readonly analyses: readonly AnalysisRow[];
}

export function sweepResults(spec: SweepSpec, outcome: { plan: { trainings: number }; rows: readonly ResultRow[]; analyses: readonly AnalysisRow[] }): SweepResults {
  const { plan, rows, analyses } = outcome;
  return {
    name: spec.name,
    sweep: sweepId(spec),
    model: spec.model.name,
    dataset: spec.dataset.name,
    backends: [...new Set(rows.map((r) => r.backend))],
    trainings: plan.trainings,
    rows,
    analyses,
  };
}

/** The tables `rewind run` ends with and `rewind show` prints: accuracy by round, then stability by k. */
export function formatResults(results: SweepResults): string {
  const head = `${results.name}: ${results.model} on ${results.dataset}, backend ${results.backends.join(', ')}\n`;
  const stability = results.analyses.length ? `\nstability against the rewind point k:\n${formatStabilityTable(results.analyses)}` : '';
  return `${head}${formatAccuracyTable(results.rows)}${stability}`;
}
