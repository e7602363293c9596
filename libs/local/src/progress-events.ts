/**
 * A trainer's progress as `job.progress` events (a service's to NATS, `rewind run`'s to its event log): at most one per job every `everyMs`, and always the last
 * step, each with the latest loss reported. Best effort: a lost event costs a watcher one update, never a job.
 */
import type { JobProgress } from '@rewind/local';
import type { EventSink } from '@rewind/runner';

export function progressEvents(sink: EventSink, trainer: string, everyMs: number, now: () => number = Date.now): (p: JobProgress) => void {
  const jobs = new Map<string, { at: number; loss?: number }>();
  return (p) => {
    const seen = jobs.get(p.job.id) ?? { at: Number.NEGATIVE_INFINITY };
    if (p.trainLoss !== undefined) seen.loss = p.trainLoss;
    jobs.set(p.job.id, seen);
    const last = p.step >= p.endStep;
    if (!last && now() - seen.at < everyMs) return;
    seen.at = now();
    if (last) jobs.delete(p.job.id);
    const { rewindStep, round } = p.job.lineage;
    const event = {
      type: 'job.progress' as const,
      experiment: p.job.lineage.experiment,
      jobId: p.job.id,
      step: p.step,
      endStep: p.endStep,
      batchSize: p.job.training.batchSize,
      trainer,
      ...(seen.loss === undefined ? {} : { trainLoss: seen.loss }),
      ...(round === undefined ? {} : { rewindStep, round }),
    };
    void Promise.resolve(sink.emit(event)).catch(() => {});
  };
}
