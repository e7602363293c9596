/** Counts a process's training jobs and their steps into the shared metrics, whatever runs them. */
import type { ServiceMetrics } from './service-metrics.ts';

export interface JobMeter {
  /** Runs one job, counted as running meanwhile, then as done or failed. */
  track<T>(run: () => Promise<T>): Promise<T>;
  /**
   * A job reached `step` at `batchSize` examples a step. Its first report counts as one step (trainers report
   * each step), so the steps a resumed job took elsewhere are not counted here.
   */
  progress(jobId: string, step: number, batchSize: number): void;
}

export function jobMeter(metrics: ServiceMetrics): JobMeter {
  const lastStep = new Map<string, number>();
  return {
    async track(run) {
      metrics.jobsRunning.inc();
      try {
        const result = await run();
        metrics.jobsFinished.inc({ outcome: 'done' });
        return result;
      } catch (e) {
        metrics.jobsFinished.inc({ outcome: 'failed' });
        throw e;
      } finally {
        metrics.jobsRunning.dec();
      }
    },
    progress(jobId, step, batchSize) {
      const previous = lastStep.get(jobId);
      lastStep.set(jobId, step);
      const taken = previous === undefined ? 1 : step - previous;
      if (taken <= 0) return;
      metrics.trainingSteps.inc(taken);
      metrics.trainingExamples.inc(taken * batchSize);
    },
  };
}
