/** A sweep's identity, the same in every mode: its hyper-parameters, not where its data sits or how often it checkpoints. */
import { canonicalJson, experimentId } from './hash.ts';
import type { SweepSpec } from './spec.ts';

export function sweepId(spec: SweepSpec): string {
  const { checkpointEvery: _, ...rest } = spec;
  return experimentId('sweep', JSON.parse(canonicalJson({ ...rest, dataset: { ...spec.dataset, dir: undefined, onCorrupt: undefined } })));
}
