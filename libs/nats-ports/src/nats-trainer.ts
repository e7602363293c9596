/**
 * The Trainer port as seen by the coordinator: a job goes onto the JetStream work queue and the result
 * comes back through the job-results bucket. Submitting is idempotent (message id = job id, and a job
 * already finished is answered from the bucket), so a restarted coordinator simply asks again. A resumed
 * sweep (attempt > 0), or a job the runner retries, forgets the job's recorded failure and queues it under a new message id.
 */
import { jobToMessage, resultFromMessage, TrainJobMessage } from '@rewind/rpc';
import type { Trainer, TrainJob, TrainJobResult } from '@rewind/runner';
import { ATTR, inSpan, messagingAttributes, natsHeadersWithContext, SPAN_KIND } from '@rewind/telemetry';
import type { NatsConnection } from 'nats';
import type { JobOutcomeWatch } from './job-outcome-watch.ts';
import { retryNats } from './nats-retry.ts';
import { TRAIN_SUBJECT } from './subjects.ts';

export class TrainJobFailedError extends Error {
  override name = 'TrainJobFailedError';
}

export class NatsTrainer implements Trainer {
  /** Submissions per job in this run: a second one is the runner retrying a failed job (after healing a checkpoint). */
  private readonly submitted = new Map<string, number>();

  /** `attempt` counts the sweep's resumptions: 0 for its first run. The watch is shared by all the process's sweeps. */
  constructor(
    private readonly nc: NatsConnection,
    private readonly outcomes: JobOutcomeWatch,
    private readonly sweepId: string,
    private readonly attempt = 0,
  ) {}

  train(job: TrainJob, signal?: AbortSignal): Promise<TrainJobResult> {
    return inSpan('train.submit', { kind: SPAN_KIND.producer, attributes: { ...messagingAttributes(TRAIN_SUBJECT, 'publish'), [ATTR.job]: job.id, [ATTR.sweep]: this.sweepId } }, async (span) => {
      const retry = this.submitted.get(job.id) ?? 0;
      this.submitted.set(job.id, retry + 1);
      const again = this.attempt > 0 || retry > 0;
      if (again) await this.outcomes.results.forgetFailure(job.id);
      // Watch before publishing so a fast trainer's result cannot slip past.
      const outcome = this.outcomes.wait(job.id, signal);
      if ((await this.outcomes.results.get(job.id)) === undefined) {
        const payload = TrainJobMessage.encode(jobToMessage(job, this.sweepId)).finish();
        const headers = natsHeadersWithContext();
        // The stream drops a message id it has seen (so a retried publish is stored once), and a failed first attempt's message is gone.
        const msgID = again ? `${job.id}.attempt${this.attempt}${retry > 0 ? `.retry${retry}` : ''}` : job.id;
        const ack = await retryNats(`queueing job ${job.id}`, () => this.nc.jetstream().publish(TRAIN_SUBJECT, payload, { msgID, headers }));
        span.setAttribute('rewind.job.duplicate', ack.duplicate);
      }
      const done = await outcome;
      span.setAttribute(ATTR.trainer, done.trainer);
      if (done.outcome?.$case === 'result') return resultFromMessage(done.outcome.value);
      throw new TrainJobFailedError(
        `training job ${job.id} failed on ${done.trainer}: ${done.outcome?.value ?? 'no result recorded'}`,
      );
    });
  }
}
