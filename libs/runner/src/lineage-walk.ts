/** A checkpoint and its parents in turn, as the store's lineage records them (a ticket back to its trunk). */
import type { CheckpointStore, Lineage } from './ports.ts';

/** Stops at the first checkpoint without a parent, or at a cycle (a store can hold anything). */
export async function walkLineage(store: Pick<CheckpointStore, 'lineage'>, first: string): Promise<{ id: string; lineage: Lineage }[]> {
  const chain: { id: string; lineage: Lineage }[] = [];
  const seen = new Set<string>();
  for (let id: string | undefined = first; id !== undefined && !seen.has(id); ) {
    seen.add(id);
    const lineage = await store.lineage(id);
    chain.push({ id, lineage });
    id = lineage.parent;
  }
  return chain;
}
