/** A pruner in this process: the core strategies over checkpoints from the store. */
import { prune, randomLike } from '@rewind/core';
import type { CheckpointStore, Pruner, PruneJob } from './ports.ts';

export class LocalPruner implements Pruner {
  constructor(private readonly store: CheckpointStore) {}

  async prune(job: PruneJob): Promise<string> {
    const current = job.maskId ? (await this.store.getMask(job.maskId)).value : undefined;
    let next;
    if (job.method.kind === 'magnitude') {
      const weights = (await this.store.getState(job.weightsId)).value.params;
      next = prune(weights, current, job.method.pruning, job.prunable);
    } else {
      if (!current) throw new Error('random_like pruning needs the reference mask (maskId)');
      next = randomLike(current, job.method.seed);
    }
    return this.store.putMask(next, { ...job.lineage, kind: 'mask', parent: job.weightsId });
  }
}
