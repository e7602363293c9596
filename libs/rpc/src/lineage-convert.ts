/**
 * Lineage between domain and wire. Key order matters: lineage is embedded as JSON in checkpoint bytes,
 * and content ids must match the embedded run's, so fields are rebuilt in the order the runner writes them.
 */
import type { Lineage } from '@rewind/runner';
import { CheckpointKind, type Lineage as LineageMessage } from '../generated/rewind/v1/lineage.ts';

const KINDS: Record<Lineage['kind'], CheckpointKind> = {
  init: CheckpointKind.CHECKPOINT_KIND_INIT,
  snapshot: CheckpointKind.CHECKPOINT_KIND_SNAPSHOT,
  final: CheckpointKind.CHECKPOINT_KIND_FINAL,
  mask: CheckpointKind.CHECKPOINT_KIND_MASK,
  resume: CheckpointKind.CHECKPOINT_KIND_RESUME,
};
const KIND_NAMES = new Map(Object.entries(KINDS).map(([name, kind]) => [kind, name as Lineage['kind']]));

/** A partial lineage (a job's, without kind) travels in the same message with kind UNSPECIFIED. */
export type PartialLineage = Omit<Lineage, 'kind'> & { readonly kind?: Lineage['kind'] };

export function lineageToMessage(l: PartialLineage): LineageMessage {
  return {
    kind: l.kind === undefined ? CheckpointKind.CHECKPOINT_KIND_UNSPECIFIED : KINDS[l.kind],
    experiment: l.experiment,
    trunk: l.trunk,
    rewindStep: l.rewindStep,
    round: l.round,
    step: l.step,
    parent: l.parent,
  };
}

export function partialLineageFromMessage(m: LineageMessage | undefined, what: string): PartialLineage {
  if (m === undefined || m.experiment === '') throw new Error(`${what}: lineage with an experiment id is required`);
  const out: { -readonly [K in keyof PartialLineage]: PartialLineage[K] } = {} as PartialLineage;
  if (m.kind !== CheckpointKind.CHECKPOINT_KIND_UNSPECIFIED) {
    const kind = KIND_NAMES.get(m.kind);
    if (kind === undefined) throw new Error(`${what}: unknown checkpoint kind ${m.kind}`);
    out.kind = kind;
  }
  out.experiment = m.experiment;
  if (m.trunk !== undefined) out.trunk = m.trunk;
  if (m.rewindStep !== undefined) out.rewindStep = m.rewindStep;
  if (m.round !== undefined) out.round = m.round;
  if (m.step !== undefined) out.step = m.step;
  if (m.parent !== undefined) out.parent = m.parent;
  return out;
}

export function lineageFromMessage(m: LineageMessage | undefined, what: string): Lineage {
  const l = partialLineageFromMessage(m, what);
  if (l.kind === undefined) throw new Error(`${what}: lineage has no checkpoint kind`);
  return l as Lineage;
}
