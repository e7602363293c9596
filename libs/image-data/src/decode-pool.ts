/**
 * A fixed pool of decode workers (worker_threads). A batch is cut into one contiguous slice per worker;
 * each writes its crops straight into the batch's SharedArrayBuffer, so no pixels are copied back.
 */
import { Worker } from 'node:worker_threads';
import type { DecodeResult, DecodeTask } from './decode-worker.ts';

type Pending = { resolve: (r: DecodeResult) => void; reject: (e: Error) => void };

export class DecodePool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextTask = 0;
  private failed: Error | undefined;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`decode workers: expected a whole number ≥ 1, got ${size}`);
    this.workers = Array.from({ length: size }, () => {
      // Workers inherit this process's loader flags (tsx), so they run the TypeScript module as it is.
      const worker = new Worker(new URL('./decode-worker-entry.mjs', import.meta.url));
      worker.on('message', (result: DecodeResult & { error?: string }) => {
        const waiting = this.pending.get(result.task);
        this.pending.delete(result.task);
        if (result.error) waiting?.reject(new Error(`decode worker: ${result.error}`));
        else waiting?.resolve(result);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => code !== 0 && this.fail(new Error(`decode worker exited with code ${code}`)));
      return worker;
    });
  }

  /** Decodes `jobs` into `out`, spread over the workers; resolves when all are done. Each job's JPEG must own its whole ArrayBuffer, which moves to a worker. */
  async run(base: Omit<DecodeTask, 'task' | 'jobs'>, jobs: DecodeTask['jobs']): Promise<DecodeResult> {
    if (this.failed) throw this.failed;
    const slice = Math.ceil(jobs.length / this.size);
    const parts = await Promise.all(
      this.workers.slice(0, Math.ceil(jobs.length / slice)).map((worker, w) => {
        const task = this.nextTask++;
        const mine = jobs.slice(w * slice, (w + 1) * slice);
        return new Promise<DecodeResult>((resolve, reject) => {
          this.pending.set(task, { resolve, reject });
          // The JPEGs move to the worker rather than being copied; the caller is done with them.
          worker.postMessage({ ...base, task, jobs: mine } satisfies DecodeTask, mine.map((job) => job.jpeg.buffer as ArrayBuffer));
        });
      }),
    );
    return {
      task: -1,
      failures: parts.flatMap((p) => p.failures),
      scales: parts.reduce((sum, p) => sum.map((s, i) => s + p.scales[i]!), [0, 0, 0, 0]),
    };
  }

  async close(): Promise<void> {
    this.fail(new Error('decode pool closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(error: Error): void {
    this.failed ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
