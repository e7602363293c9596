/**
 * A trainer that says what it does with each job as `job.log` events (taken, finished and from which step,
 * failed), as a cluster's trainers do, so a watcher of an embedded run sees the same log lines.
 */
import type { SweepEvent, Trainer, TrainJob, TrainJobResult } from '@rewind/runner';

export function loggedTrainer(inner: Trainer, name: string, emit: (event: SweepEvent) => void): Trainer {
  const say = (job: TrainJob, line: string) => emit({ type: 'job.log', experiment: job.lineage.experiment, jobId: job.id, trainer: name, line });
  return {
    async train(job: TrainJob, signal?: AbortSignal): Promise<TrainJobResult> {
      say(job, `took job ${job.id}`);
      try {
        const result = await inner.train(job, signal);
        say(job, `finished job ${job.id} (resumed from step ${result.resumedFrom})`);
        return result;
      } catch (e) {
        say(job, signal?.aborted ? `stopped job ${job.id}; its last checkpoint stays` : `job ${job.id} failed: ${(e as Error).message}`);
        throw e;
      }
    },
  };
}
