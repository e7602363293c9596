/**
 * A trainer's side of the work queue. One job at a time; while it runs, `working()` heartbeats keep
 * JetStream from redelivering it. The outcome is recorded before the ack, so a trainer dying at any
 * point either leaves the job to be redelivered (and resumed from its last checkpoint) or has finished it.
 */
import { corruptCheckpointId } from '@rewind/core';
import { jobFromMessage, resultToMessage, TrainJobMessage, type TrainJobOutcome } from '@rewind/rpc';
import type { Trainer, TrainJob } from '@rewind/runner';
import { ATTR, contextFromNatsHeaders, inSpan, messagingAttributes, SPAN_KIND } from '@rewind/telemetry';
import { AckPolicy, type Consumer, type JsMsg, type NatsConnection, nanos } from 'nats';
import { JobResults } from './job-results.ts';
import { SerialPullLoop } from './serial-pull-loop.ts';
import { JOBS_STREAM, TRAINERS_CONSUMER } from './subjects.ts';

/** The trainer for one job, chosen by the job's sweep (e.g. to publish that sweep's `checkpoint.saved`). */
export type TrainerForSweep = (sweepId: string) => Trainer;

export interface TrainWorkerOptions {
  /** Identifies this trainer in outcomes and traces. */
  readonly name: string;
  /** Without a heartbeat for this long, a job is redelivered to another trainer. */
  readonly ackWaitMs: number;
  /** Deliveries before a job that keeps failing is recorded as failed. */
  readonly maxDeliver: number;
  /** How long a job waits out a service outage without using up a delivery (default 0: it does not). */
  readonly outageDeadlineMs?: number;
  /** Returns true if the job's sweep was cancelled (the job is then dropped). */
  readonly isCancelled?: (sweepId: string) => Promise<boolean>;
  /** Called as a job is taken, with the time JetStream stored it (ms since the epoch): its queue wait, for metrics and benches. */
  readonly onTaken?: (jobId: string, queuedAtMs: number) => void;
  /** Each log line about a job of a sweep (taken, retried, given up, finished), e.g. to publish it as `job.log`. */
  readonly onJobLog?: (sweepId: string, job: TrainJob, line: string) => void;
  readonly log?: (line: string) => void;
}

export class TrainWorker {
  private readonly loop: SerialPullLoop;
  /** Jobs this worker has taken (for logs and tests). */
  readonly taken: string[] = [];

  private constructor(
    nc: NatsConnection,
    consumer: Consumer,
    private readonly results: JobResults,
    private readonly trainer: Trainer | TrainerForSweep,
    private readonly options: TrainWorkerOptions,
  ) {
    this.loop = new SerialPullLoop(nc, consumer, { ...options, log: (l) => this.log(l) }, (msg, signal) => this.handle(msg, signal));
  }

  static async open(nc: NatsConnection, trainer: Trainer | TrainerForSweep, options: TrainWorkerOptions): Promise<TrainWorker> {
    const jsm = await nc.jetstreamManager();
    const config = {
      durable_name: TRAINERS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(options.ackWaitMs),
      max_deliver: options.maxDeliver + 1,
    };
    try {
      await jsm.consumers.info(JOBS_STREAM, TRAINERS_CONSUMER);
      await jsm.consumers.update(JOBS_STREAM, TRAINERS_CONSUMER, {
        ack_wait: config.ack_wait,
        max_deliver: config.max_deliver,
      });
    } catch {
      await jsm.consumers.add(JOBS_STREAM, config);
    }
    const consumer = await nc.jetstream().consumers.get(JOBS_STREAM, TRAINERS_CONSUMER);
    return new TrainWorker(nc, consumer, await JobResults.open(nc), trainer, options);
  }

  private log(line: string): void {
    (this.options.log ?? ((l) => process.stdout.write(`${l}\n`)))(`${this.options.name}: ${line}`);
  }

  start(): void {
    this.loop.start();
  }

  private async handle(msg: JsMsg, signal: AbortSignal): Promise<void> {
    let job: TrainJob;
    let sweepId: string;
    try {
      const message = TrainJobMessage.decode(msg.data);
      sweepId = message.sweepId;
      job = jobFromMessage(message);
    } catch (err) {
      this.log(`dropping undecodable job: ${(err as Error).message}`);
      msg.term();
      return;
    }
    const finish = (outcome: TrainJobOutcome['outcome']): Promise<TrainJobOutcome> =>
      this.results.record({ jobId: job.id, trainer: this.options.name, outcome });

    if ((await this.results.get(job.id)) !== undefined) {
      this.log(`job ${job.id} already finished, acking the duplicate`);
      msg.ack();
      return;
    }
    if (sweepId && (await this.options.isCancelled?.(sweepId))) {
      // No outcome is recorded: the coordinator stopped waiting, and a resumed sweep queues the job again.
      this.log(`job ${job.id} belongs to cancelled sweep ${sweepId}, dropping it`);
      msg.term();
      return;
    }
    this.taken.push(job.id);
    this.options.onTaken?.(job.id, msg.info.timestampNanos / 1e6);
    const delivery = msg.info.redeliveryCount;
    const say = (line: string): void => {
      this.log(line);
      if (sweepId) this.options.onJobLog?.(sweepId, job, line);
    };
    say(`took job ${job.id} (delivery ${delivery})`);
    const parent = contextFromNatsHeaders(msg.headers);
    const giveUp = (why: string) => finish({ $case: 'error', value: why });
    // A corrupt input fails the same way on every delivery; recorded at once, it lets the coordinator heal it now.
    const isFinal = (err: unknown) => corruptCheckpointId(err) !== undefined;
    // The store (or another service) down past its own retries: the job resumes from its checkpoint when it is back.
    const isOutage = (err: unknown) => err instanceof Error && err.name === 'ServerUnavailableError';
    await this.loop.settle({ msg, signal, label: `job ${job.id}`, giveUp, isFinal, isOutage, log: say }, async () => {
      const result = await inSpan(
        'train.job',
        { kind: SPAN_KIND.consumer, parent, attributes: { ...messagingAttributes(msg.subject, 'process'), [ATTR.job]: job.id, [ATTR.sweep]: sweepId, [ATTR.trainer]: this.options.name, 'rewind.job.delivery': delivery } },
        () => (typeof this.trainer === 'function' ? this.trainer(sweepId) : this.trainer).train(job, signal),
      );
      await finish({ $case: 'result', value: resultToMessage(result) });
      msg.ack();
      say(`finished job ${job.id} (resumed from step ${result.resumedFrom})`);
    });
  }

  /** Stops taking jobs; lets the current one finish for up to `graceMs`, then aborts and releases it. */
  stop(graceMs: number): Promise<void> {
    return this.loop.stop(graceMs, 'trainer shutting down');
  }
}
