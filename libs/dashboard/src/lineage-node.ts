/** A checkpoint's stored lineage as the page's lineage graph shows it: what it is and where it sits. */
import type { Lineage } from '@rewind/runner';
import type { LineageNode } from './views.ts';

export function lineageNode({ id, lineage }: { id: string; lineage: Lineage }): LineageNode {
  const { kind, experiment, step, rewindStep, round } = lineage;
  return { id, kind, experiment, ...(step === undefined ? {} : { step }), ...(rewindStep === undefined ? {} : { rewindStep }), ...(round === undefined ? {} : { round }) };
}
