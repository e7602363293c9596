/** Runs one training at a time: in one process, concurrent chains would only fight over the same cores. */
import type { Trainer, TrainJob, TrainJobResult } from '@rewind/runner';

export function serialTrainer(inner: Trainer): Trainer {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    train(job: TrainJob, signal?: AbortSignal): Promise<TrainJobResult> {
      const run = tail.then(() => inner.train(job, signal));
      tail = run.catch(() => undefined);
      return run;
    },
  };
}
