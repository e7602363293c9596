/** Finished jobs' outcomes in KV, keyed by job id: written once, so a job is never counted twice. */
import { TrainJobOutcome } from '@rewind/rpc';
import type { JetStreamManager, KV, NatsConnection } from 'nats';
import { retryNats } from './nats-retry.ts';
import { JOB_RESULTS_BUCKET, safeKey } from './subjects.ts';

export class JobResults {
  private constructor(
    readonly kv: KV,
    private readonly jsm: JetStreamManager,
  ) {}

  static async open(nc: NatsConnection): Promise<JobResults> {
    return retryNats('opening the job-results bucket', async () => new JobResults(await nc.jetstream().views.kv(JOB_RESULTS_BUCKET, { bindOnly: true }), await nc.jetstreamManager()));
  }

  async get(jobId: string): Promise<TrainJobOutcome | undefined> {
    const entry = await retryNats(`reading job ${jobId}'s outcome`, () => this.kv.get(safeKey(jobId)));
    return entry?.operation === 'PUT' && entry.length > 0 ? TrainJobOutcome.decode(entry.value) : undefined;
  }

  /** Records the outcome unless one exists; returns the outcome that stands (the first one). */
  async record(outcome: TrainJobOutcome): Promise<TrainJobOutcome> {
    try {
      await retryNats(`recording job ${outcome.jobId}'s outcome`, () => this.kv.create(safeKey(outcome.jobId), TrainJobOutcome.encode(outcome).finish()));
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
    const entry = await retryNats(`reading job ${jobId}'s outcome`, () => this.kv.get(safeKey(jobId)));
    if (entry?.operation !== 'PUT' || entry.length === 0) return;
    if (TrainJobOutcome.decode(entry.value).outcome?.$case === 'result') return;
    await retryNats(`forgetting job ${jobId}'s failure`, () =>
      this.jsm.streams.purge(`KV_${JOB_RESULTS_BUCKET}`, { filter: `$KV.${JOB_RESULTS_BUCKET}.${safeKey(jobId)}`, seq: entry.revision + 1 }),
    );
  }
}
