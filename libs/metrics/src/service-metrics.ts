/**
 * The metrics every Rewind service shares, named `rewind_*`: jobs by state, training throughput,
 * checkpoint traffic, and the JetStream work queue as its consumer sees it.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What a JetStream consumer reports about its queue (from `jsm.consumers.info`). */
export interface QueueInfo {
  /** Messages not yet delivered: queued jobs, the consumer's lag. */
  readonly pending: number;
  /** Delivered and not yet acknowledged: jobs running somewhere. */
  readonly ackPending: number;
  /** Messages delivered more than once. */
  readonly redelivered: number;
}

export interface ServiceMetrics {
  readonly registry: Registry;
  readonly jobsRunning: Gauge;
  readonly jobsFinished: Counter<'outcome'>;
  readonly trainingSteps: Counter;
  readonly trainingExamples: Counter;
  readonly checkpointBytes: Counter<'direction'>;
  readonly checkpointSeconds: Histogram<'operation'>;
}

export function serviceMetrics(service: string, queueInfo?: () => Promise<QueueInfo>): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  if (queueInfo) {
    // Each gauge asks the consumer at scrape time, so the figures are never stale.
    const queueGauge = (name: string, help: string, pick: (q: QueueInfo) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(pick(await queueInfo()));
        },
      });
    queueGauge('rewind_jobs_queued', 'Training jobs waiting in the JetStream work queue (the consumer lag).', (q) => q.pending);
    queueGauge('rewind_jobs_in_flight', 'Training jobs delivered to a trainer and not yet acknowledged.', (q) => q.ackPending);
    queueGauge('rewind_jobs_redelivered', 'Training jobs delivered more than once (a trainer died or stalled).', (q) => q.redelivered);
  }
  return {
    registry,
    jobsRunning: new Gauge({ name: 'rewind_jobs_running', help: 'Training jobs this process is running now.', registers }),
    jobsFinished: new Counter({ name: 'rewind_jobs_finished_total', help: 'Training jobs this process finished, by outcome (done, failed).', labelNames: ['outcome'], registers }),
    trainingSteps: new Counter({ name: 'rewind_training_steps_total', help: 'SGD steps taken; its rate is steps/s.', registers }),
    trainingExamples: new Counter({ name: 'rewind_training_examples_total', help: 'Training examples processed; its rate is examples/s.', registers }),
    checkpointBytes: new Counter({ name: 'rewind_checkpoint_bytes_total', help: 'Checkpoint bytes moved, by direction (read, write).', labelNames: ['direction'], registers }),
    checkpointSeconds: new Histogram({
      name: 'rewind_checkpoint_seconds',
      help: 'Checkpoint read and write latency.',
      labelNames: ['operation'],
      buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}
