/**
 * The Trainer port as seen by the coordinator: a job goes onto the JetStream work queue and the result
 * comes back through the job-results bucket. Submitting is idempotent (message id = job id, and a job
 * already finished is answered from the bucket), so a restarted coordinator simply asks again.
 */
import { jobToMessage, resultFromMessage, TrainJobMessage } from '@rewind/rpc';
import type { Trainer, TrainJob, TrainJobResult } from '@rewind/runner';
import { ATTR, inSpan, messagingAttributes, natsHeadersWithContext, SPAN_KIND } from '@rewind/telemetry';
import type { NatsConnection } from 'nats';
import { JobResults } from './job-results.ts';
import { TRAIN_SUBJECT } from './subjects.ts';

export class TrainJobFailedError extends Error {
  override name = 'TrainJobFailedError';
}

export class NatsTrainer implements Trainer {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly results: JobResults,
    private readonly sweepId: string,
  ) {}

  static async open(nc: NatsConnection, sweepId: string): Promise<NatsTrainer> {
    return new NatsTrainer(nc, await JobResults.open(nc), sweepId);
  }

  train(job: TrainJob, signal?: AbortSignal): Promise<TrainJobResult> {
    return inSpan('train.submit', { kind: SPAN_KIND.producer, attributes: { ...messagingAttributes(TRAIN_SUBJECT, 'publish'), [ATTR.job]: job.id, [ATTR.sweep]: this.sweepId } }, async (span) => {
      // Watch before publishing so a fast trainer's result cannot slip past.
      const outcome = this.results.wait(job.id, signal);
      if ((await this.results.get(job.id)) === undefined) {
        const payload = TrainJobMessage.encode(jobToMessage(job, this.sweepId)).finish();
        const ack = await this.nc.jetstream().publish(TRAIN_SUBJECT, payload, {
          msgID: job.id,
          headers: natsHeadersWithContext(),
        });
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
