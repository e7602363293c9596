/** Finished jobs' outcomes in KV, keyed by job id: written once, so a job is never counted twice. */
import { TrainJobOutcome } from '@rewind/rpc';
import type { KV, NatsConnection } from 'nats';
import { JOB_RESULTS_BUCKET, safeKey } from './subjects.ts';

export class JobResults {
  private constructor(readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<JobResults> {
    return new JobResults(await nc.jetstream().views.kv(JOB_RESULTS_BUCKET));
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

  /** Deletes the job's outcome if it is a failure, so the job can run again. */
  async forgetFailure(jobId: string): Promise<void> {
    const entry = await this.kv.get(safeKey(jobId));
    if (entry?.operation !== 'PUT' || entry.length === 0) return;
    if (TrainJobOutcome.decode(entry.value).outcome?.$case === 'result') return;
    try {
      await this.kv.delete(safeKey(jobId), { previousSeq: entry.revision });
    } catch (err) {
      // Refused only if the entry changed meanwhile: the newer outcome stands.
      if ((await this.kv.get(safeKey(jobId)))?.revision === entry.revision) throw err;
    }
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
