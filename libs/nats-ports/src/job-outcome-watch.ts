/**
 * One watch over the job-results bucket for every job a process waits on. A watch per job costs the server
 * an ordered consumer each: a coordinator driving a thousand runs would hold a thousand. Here new outcomes
 * come through a single consumer and are handed to the waiters of their job.
 */
import { TrainJobOutcome } from '@rewind/rpc';
import { type KvEntry, KvWatchInclude, type QueuedIterator } from 'nats';
import type { JobResults } from './job-results.ts';
import { isTransientNatsError, retryNats } from './nats-retry.ts';
import { safeKey } from './subjects.ts';

interface Waiter {
  readonly resolve: (outcome: TrainJobOutcome) => void;
  readonly reject: (err: unknown) => void;
}

export class JobOutcomeWatch {
  /** The jobs waited on, by bucket key. */
  private readonly pending = new Map<string, { readonly jobId: string; readonly waiters: Set<Waiter> }>();
  private watcher: QueuedIterator<KvEntry> | undefined;
  private stopped = false;
  private failure: Error | undefined;
  private readonly loop: Promise<void>;

  constructor(readonly results: JobResults) {
    this.loop = this.follow();
  }

  /** Resolves with the job's outcome as soon as it is recorded (at once if it already is). */
  wait(jobId: string, signal?: AbortSignal): Promise<TrainJobOutcome> {
    signal?.throwIfAborted();
    if (this.failure) return Promise.reject(this.failure);
    const key = safeKey(jobId);
    return new Promise<TrainJobOutcome>((resolve, reject) => {
      const settle = (): void => {
        this.forget(key, waiter);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        resolve: (outcome) => {
          settle();
          resolve(outcome);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      };
      const onAbort = (): void => waiter.reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      let job = this.pending.get(key);
      if (job === undefined) this.pending.set(key, (job = { jobId, waiters: new Set() }));
      job.waiters.add(waiter);
      // Registered first, read second: an outcome recorded before the watch could hand it over is found by the read.
      this.check(key).catch((err) => waiter.reject(err));
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.stop();
    await this.loop;
  }

  /** Follows new outcomes; a watch broken by an outage is opened again and every pending job read once more. */
  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        this.watcher = await retryNats('watching job outcomes', () => this.results.kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly }));
        if (this.stopped) break;
        // Outcomes recorded while no watch was open reach no one otherwise.
        await Promise.all([...this.pending.keys()].map((key) => this.check(key)));
        for await (const entry of this.watcher) {
          if (entry.operation === 'PUT' && entry.length > 0) this.deliver(entry.key, TrainJobOutcome.decode(entry.value));
        }
      } catch (err) {
        if (this.stopped) break;
        if (!isTransientNatsError(err)) {
          // The connection is gone for good: every waiter learns why instead of waiting forever.
          this.failure = err as Error;
          for (const job of [...this.pending.values()]) for (const waiter of [...job.waiters]) waiter.reject(err);
          return;
        }
      } finally {
        this.watcher?.stop();
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async check(key: string): Promise<void> {
    const job = this.pending.get(key);
    if (job === undefined) return;
    const outcome = await this.results.get(job.jobId);
    if (outcome !== undefined) this.deliver(key, outcome);
  }

  private deliver(key: string, outcome: TrainJobOutcome): void {
    for (const waiter of [...(this.pending.get(key)?.waiters ?? [])]) waiter.resolve(outcome);
  }

  private forget(key: string, waiter: Waiter): void {
    const job = this.pending.get(key);
    job?.waiters.delete(waiter);
    if (job?.waiters.size === 0) this.pending.delete(key);
  }
}
