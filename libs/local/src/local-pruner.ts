/** A pruner in this process: the core strategies over checkpoints from the store. */
import { prune, randomLike } from '@rewind/core';
import type { Mask } from '@rewind/core';
import type { CheckpointStore, Pruner, PruneJob } from '@rewind/runner';

function randomLikeOf(reference: Mask | undefined, seed: number): Mask {
  if (!reference) throw new Error('random_like pruning needs the reference mask (maskId)');
  return randomLike(reference, seed);
}

export class LocalPruner implements Pruner {
  constructor(private readonly store: CheckpointStore) {}

  async prune(job: PruneJob): Promise<string> {
    const current = job.maskId ? (await this.store.getMask(job.maskId)).value : undefined;
    const next = job.method.kind === 'magnitude' ? prune((await this.store.getState(job.weightsId)).value.params, current, job.method.pruning, job.prunable) : randomLikeOf(current, job.method.seed);
    return this.store.putMask(next, { ...job.lineage, kind: 'mask', parent: job.weightsId });
  }
}
