/**
 * A trainer's side of the work queue. One job at a time; while it runs, `working()` heartbeats keep
 * JetStream from redelivering it. The outcome is recorded before the ack, so a trainer dying at any
 * point either leaves the job to be redelivered (and resumed from its last checkpoint) or has finished it.
 */
import { jobFromMessage, resultToMessage, TrainJobMessage, type TrainJobOutcome } from '@rewind/rpc';
import type { Trainer, TrainJob } from '@rewind/runner';
import { ATTR, contextFromNatsHeaders, inSpan } from '@rewind/telemetry';
import { AckPolicy, type Consumer, type JsMsg, type NatsConnection, nanos } from 'nats';
import { JobResults } from './job-results.ts';
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
  /** Returns true if the job's sweep was cancelled (the job is then dropped). */
  readonly isCancelled?: (sweepId: string) => Promise<boolean>;
  readonly log?: (line: string) => void;
}

export class TrainWorker {
  private stopping = false;
  private current: { abort: AbortController; done: Promise<void> } | undefined;
  private loop: Promise<void> | undefined;
  /** Jobs this worker has taken (for logs and tests). */
  readonly taken: string[] = [];

  private constructor(
    private readonly nc: NatsConnection,
    private readonly consumer: Consumer,
    private readonly results: JobResults,
    private readonly trainer: Trainer | TrainerForSweep,
    private readonly options: TrainWorkerOptions,
  ) {}

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
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopping && !this.nc.isClosed()) {
      let msg: JsMsg | null;
      try {
        msg = await this.consumer.next({ expires: 1000 });
      } catch (err) {
        if (this.stopping) break;
        this.log(`pull failed, retrying: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (msg === null) continue;
      if (this.stopping) {
        msg.nak();
        break;
      }
      const abort = new AbortController();
      const done = this.handle(msg, abort.signal).catch((err) => this.log(`job handling failed: ${(err as Error).message}`));
      this.current = { abort, done };
      await done;
      this.current = undefined;
    }
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
      this.log(`job ${job.id} belongs to cancelled sweep ${sweepId}, dropping it`);
      await finish({ $case: 'error', value: `sweep ${sweepId} was cancelled` });
      msg.term();
      return;
    }
    this.taken.push(job.id);
    const delivery = msg.info.redeliveryCount;
    this.log(`took job ${job.id} (delivery ${delivery})`);
    const heartbeat = setInterval(() => msg.working(), Math.max(100, this.options.ackWaitMs / 3));
    const parent = contextFromNatsHeaders(msg.headers);
    try {
      const result = await inSpan(
        'train.job',
        { parent, attributes: { [ATTR.job]: job.id, [ATTR.sweep]: sweepId, [ATTR.trainer]: this.options.name, 'rewind.job.delivery': delivery } },
        () => (typeof this.trainer === 'function' ? this.trainer(sweepId) : this.trainer).train(job, signal),
      );
      await finish({ $case: 'result', value: resultToMessage(result) });
      msg.ack();
      this.log(`finished job ${job.id} (resumed from step ${result.resumedFrom})`);
    } catch (err) {
      if (this.nc.isClosed()) {
        this.log(`lost the NATS connection during job ${job.id}; it will be redelivered`);
      } else if (signal.aborted) {
        // Shutting down: hand the job to another trainer now rather than after ack-wait.
        msg.nak();
        this.log(`released job ${job.id} on shutdown`);
      } else if (delivery >= this.options.maxDeliver) {
        await finish({ $case: 'error', value: (err as Error).message });
        msg.term();
        this.log(`job ${job.id} failed for good: ${(err as Error).message}`);
      } else {
        msg.nak(1000 * delivery);
        this.log(`job ${job.id} failed, will retry: ${(err as Error).message}`);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Stops taking jobs; lets the current one finish for up to `graceMs`, then aborts and naks it. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const current = this.current;
    if (current) {
      const finished = await Promise.race([
        current.done.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), graceMs)),
      ]);
      if (!finished) {
        current.abort.abort(new Error('trainer shutting down'));
        await current.done;
      }
    }
    await this.loop;
  }
}
