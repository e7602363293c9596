/** Every experiment kind Rewind knows. A new control or analysis is one module and one line here. */
import { type KindCatalog, parseSpec, type SweepSpec } from '@rewind/core';
import { dataOrderStability } from './analyses/data-order-stability.ts';
import { layerSparsity } from './analyses/layer-sparsity.ts';
import { linearMode } from './analyses/linear-mode.ts';
import { pruningStability } from './analyses/pruning-stability.ts';
import { randomPruning } from './controls/random-pruning.ts';
import { randomReinit } from './controls/random-reinit.ts';
import { type AnalysisKind, type ControlKind, JobError } from './kind.ts';

export const CONTROLS: readonly ControlKind[] = [randomPruning, randomReinit];

/** In table order. */
export const ANALYSES: readonly AnalysisKind[] = [pruningStability, dataOrderStability, linearMode, layerSparsity] as unknown as AnalysisKind[];

export const CATALOG: KindCatalog = { controls: CONTROLS.map((c) => c.name), analyses: ANALYSES.map((a) => ({ name: a.name, options: a.options, ...(a.optIn ? { optIn: true } : {}) })) };

/** A sweep spec checked against the kinds above. */
export function parseSweepSpec(raw: unknown): SweepSpec {
  return parseSpec(raw, CATALOG);
}

/** Every analysis option at its default, for callers that build a stability section themselves. */
export function defaultOptions(): Record<string, number> {
  return Object.fromEntries(ANALYSES.flatMap((a) => a.options.map((o) => [o.key, o.fallback])));
}

export function controlKind(name: string): ControlKind {
  const kind = CONTROLS.find((c) => c.name === name);
  if (!kind) throw new Error(`unknown control ${JSON.stringify(name)}; known: ${CONTROLS.map((c) => c.name).join(', ')}`);
  return kind;
}

export function analysisKind(name: unknown): AnalysisKind {
  const kind = ANALYSES.find((a) => a.name === name);
  if (!kind) throw new JobError(`unknown analysis ${JSON.stringify(name)}; known: ${ANALYSES.map((a) => a.name).join(', ')}`);
  return kind;
}
