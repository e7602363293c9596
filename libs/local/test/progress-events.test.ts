/** A trainer's progress events: one per job per interval, always the last step, with the latest loss. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobProgress } from '@rewind/local';
import type { SweepEvent, TrainJob } from '@rewind/runner';
import { progressEvents } from '../src/progress-events.ts';

const job = (id: string): TrainJob => ({ id, lineage: { experiment: `exp-${id}` }, training: { batchSize: 60 } }) as unknown as TrainJob;

test('throttled per job, last step always sent, loss carried to the next event', () => {
  const sent: SweepEvent[] = [];
  let now = 0;
  const publish = progressEvents({ emit: (e) => void sent.push(e) }, 'trainer-1', 5_000, () => now);
  const at = (ms: number, p: Omit<JobProgress, 'endStep'>) => {
    now = ms;
    publish({ ...p, endStep: 100 });
  };
  at(0, { job: job('a'), step: 1 });
  at(1_000, { job: job('a'), step: 10, trainLoss: 2.5 });
  at(1_100, { job: job('b'), step: 1 });
  at(5_500, { job: job('a'), step: 50 });
  at(6_000, { job: job('a'), step: 100 });
  const steps = sent.map((e) => (e.type === 'job.progress' ? `${e.jobId}@${e.step}:${e.trainLoss ?? '-'}` : e.type));
  assert.deepEqual(steps, ['a@1:-', 'b@1:-', 'a@50:2.5', 'a@100:2.5']);
  const last = sent.at(-1)!;
  assert.ok(last.type === 'job.progress');
  assert.deepEqual({ ...last, trainLoss: undefined }, {
    type: 'job.progress', experiment: 'exp-a', jobId: 'a', step: 100, endStep: 100, batchSize: 60, trainer: 'trainer-1', trainLoss: undefined,
  });
});

test('a failing sink costs an event, never the job', async () => {
  const publish = progressEvents({ emit: () => Promise.reject(new Error('NATS is down')) }, 'trainer-1', 5_000, () => 0);
  assert.doesNotThrow(() => publish({ job: job('a'), step: 1, endStep: 10 }));
  await new Promise((r) => setImmediate(r));
});

test("a pruned job's event names its rewind point and round; the trunk's names neither", () => {
  const sent: SweepEvent[] = [];
  const publish = progressEvents({ emit: (e) => void sent.push(e) }, 'trainer-1', 5_000, () => 0);
  const ticket = { ...job('t'), lineage: { experiment: 'exp-t', rewindStep: 200, round: 2 } } as unknown as TrainJob;
  publish({ job: ticket, step: 1, endStep: 10 });
  publish({ job: job('trunk'), step: 1, endStep: 10 });
  const [a, b] = sent.map((e) => (e.type === 'job.progress' ? [e.rewindStep, e.round] : []));
  assert.deepEqual(a, [200, 2]);
  assert.deepEqual(b, [undefined, undefined]);
});
