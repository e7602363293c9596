/**
 * bench/scale.ts's trainers: SIM_WORKERS real TrainWorkers on one NATS connection, taking real jobs from
 * JetStream and recording real outcomes, where only the training is simulated: a job sleeps a seeded few
 * milliseconds to a second and writes tiny checkpoints (one 64-weight tensor) through the real
 * checkpoint-store. Each finished job appends one line to SIM_LOG: what the bench measures.
 */
import { appendFileSync } from 'node:fs';
import { rngFor, type TrainState } from '@rewind/core';
import { awaitJetStream, connectNats, TrainWorker } from '@rewind/nats-ports';
import { GrpcCheckpointStore, serviceRetry } from '@rewind/rpc';
import type { Lineage, Trainer, TrainJob, TrainJobResult } from '@rewind/runner';

/** One finished job, as the bench reads it back. Times in ms since the epoch. */
export interface JobLine {
  readonly job: string;
  readonly sweep: string;
  readonly trunk: string;
  /** Rewind step and round; absent on a trunk's job. */
  readonly k?: number;
  readonly round?: number;
  readonly queuedAt: number;
  readonly takenAt: number;
  readonly doneAt: number;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const workers = Number(env('SIM_WORKERS'));
const [minMs, maxMs] = env('SIM_JOB_MS').split(',').map(Number) as [number, number];
const log = env('SIM_LOG');
const name = env('SIM_NAME');

const nc = await connectNats(env('NATS_URL'), { name });
await awaitJetStream(nc);
const store = new GrpcCheckpointStore(env('STORE_ADDRESS'), { retry: serviceRetry(600_000) });
const taken = new Map<string, { queuedAt: number; takenAt: number }>();

/** Deterministic in the job id, so a redelivered job writes the same checkpoints. */
const tinyState = (job: TrainJob, step: number): TrainState => {
  const rng = rngFor(0, job.id, step);
  return { step, params: { w: { shape: [8, 8], data: Float32Array.from({ length: 64 }, () => rng.normal()) } }, buffers: {}, momentum: {} };
};

const simulated = (sweep: string): Trainer => ({
  async train(job: TrainJob): Promise<TrainJobResult> {
    const started = Date.now();
    // Log-uniform between the bounds: most jobs short, a few long, as real sweeps mix small and large nets.
    const rng = rngFor(1, job.id);
    await new Promise((r) => setTimeout(r, Math.exp(Math.log(minMs) + rng.next() * (Math.log(maxMs) - Math.log(minMs)))));
    const put = (kind: Lineage['kind'], step: number) => store.putState(tinyState(job, step), { ...job.lineage, kind, step });
    const snapshotIds = Object.fromEntries(await Promise.all(job.snapshotAt.map(async (k) => [String(k), await put('snapshot', k)] as const)));
    const finalId = await put('final', job.endStep);
    const times = taken.get(job.id) ?? { queuedAt: started, takenAt: started };
    taken.delete(job.id);
    const line: JobLine = { job: job.id, sweep, trunk: job.lineage.trunk ?? job.id, k: job.lineage.rewindStep, round: job.lineage.round, ...times, doneAt: Date.now() };
    appendFileSync(log, `${JSON.stringify(line)}\n`);
    const start = 'step' in job.start ? job.start.step : 0;
    return { finalId, snapshotIds, evals: [{ step: job.endStep, loss: 1, accuracy: 0.5 }], trainLoss: 1, backend: 'simulated', wallMs: Date.now() - started, resumedFrom: start, prunable: ['w'] };
  },
});

const pool = await Promise.all(
  Array.from({ length: workers }, (_, i) =>
    TrainWorker.open(nc, simulated, {
      name: `${name}-${i}`,
      ackWaitMs: 30_000,
      maxDeliver: 5,
      onTaken: (jobId, queuedAt) => taken.set(jobId, { queuedAt, takenAt: Date.now() }),
      // Only what is out of the ordinary: a redelivery, a retry, a job given up (bench/scale.ts --logs shows it).
      log: (line) => {
        if (!/\(delivery 1\)|: finished job/.test(line)) console.error(line);
      },
    }),
  ),
);
for (const worker of pool) worker.start();
console.log(`${name}: ${workers} simulated trainers taking jobs`);
process.on('SIGTERM', async () => {
  await Promise.all(pool.map((w) => w.stop(1000)));
  await nc.drain();
  store.close();
  process.exit(0);
});
