/** Finished jobs' outcomes in KV, keyed by job id: written once, so a job is never counted twice. */
import { TrainJobOutcome } from '@rewind/rpc';
import type { JetStreamManager, KV, NatsConnection } from 'nats';
import { JOB_RESULTS_BUCKET, safeKey } from './subjects.ts';

export class JobResults {
  private constructor(
    readonly kv: KV,
    private readonly jsm: JetStreamManager,
  ) {}

  static async open(nc: NatsConnection): Promise<JobResults> {
    return new JobResults(await nc.jetstream().views.kv(JOB_RESULTS_BUCKET, { bindOnly: true }), await nc.jetstreamManager());
  }

  async get(jobId: string): Promise<TrainJobOutcome | undefined> {
    const entry = await this.kv.get(safeKey(jobId));
    return entry?.operation === 'PUT' && entry.length > 0 ? TrainJobOutcome.decode(entry.value) : undefined;
  }

  /** Records the outcome unless one exists; returns the outcome that stands (the first one). */
  async record(outcome: TrainJobOutcome): Promise<TrainJobOutcome> {
    try {
      await this.kv.create(safeKey(outcome.jobId), TrainJobOutcome.encode(outcome).finish());
      return outcome;
    } catch (err) {
      const existing = await this.get(outcome.jobId);
      if (existing === undefined) throw err;
      return existing;
    }
  }

  /**
   * Removes the job's outcome if it is a failure, so the job can run again. A purge up to the failure's
   * revision (a JetStream API call: only trainers may write outcomes) keeps any outcome recorded after it.
   */
  async forgetFailure(jobId: string): Promise<void> {
    const entry = await this.kv.get(safeKey(jobId));
    if (entry?.operation !== 'PUT' || entry.length === 0) return;
    if (TrainJobOutcome.decode(entry.value).outcome?.$case === 'result') return;
    await this.jsm.streams.purge(`KV_${JOB_RESULTS_BUCKET}`, {
      filter: `$KV.${JOB_RESULTS_BUCKET}.${safeKey(jobId)}`,
      seq: entry.revision + 1,
    });
  }

  /** Resolves with the job's outcome as soon as it is recorded (immediately if it already is). */
  async wait(jobId: string, signal?: AbortSignal): Promise<TrainJobOutcome> {
    const watcher = await this.kv.watch({ key: safeKey(jobId) });
    const onAbort = (): void => watcher.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const entry of watcher) {
        if (entry.operation === 'PUT' && entry.length > 0) return TrainJobOutcome.decode(entry.value);
      }
      signal?.throwIfAborted();
      throw new Error(`stopped waiting for job ${jobId}: the NATS connection closed`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      watcher.stop();
    }
  }
}
