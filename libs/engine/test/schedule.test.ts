import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iterationsPerEpoch, lrAt, scheduleFor, toIterations } from '@rewind/engine';

test('an epoch is the number of full batches; the partial last batch is dropped', () => {
  assert.equal(iterationsPerEpoch(60_000, 128), 468);
  assert.equal(iterationsPerEpoch(512, 32), 16);
  assert.throws(() => iterationsPerEpoch(10, 32), /exceeds/);
  assert.throws(() => iterationsPerEpoch(10, 0), RangeError);
});

test('durations convert as epochs times iterations-per-epoch plus iterations', () => {
  assert.equal(toIterations({ epochs: 0, iterations: 500 }, 468), 500);
  assert.equal(toIterations({ epochs: 4, iterations: 0 }, 468), 1872);
  assert.equal(toIterations({ epochs: 4, iterations: 100 }, 468), 1972);
});

test('warmup rises linearly from 0, then gamma applies at each milestone', () => {
  const schedule = { lr: 0.1, warmup: 10, milestones: [20, 30], gamma: 0.1 };
  assert.equal(lrAt(schedule, 0), 0);
  assert.ok(Math.abs(lrAt(schedule, 5) - 0.05) < 1e-12);
  assert.equal(lrAt(schedule, 10), 0.1);
  assert.equal(lrAt(schedule, 19), 0.1);
  assert.ok(Math.abs(lrAt(schedule, 20) - 0.01) < 1e-12);
  assert.ok(Math.abs(lrAt(schedule, 30) - 0.001) < 1e-12);
  assert.equal(lrAt({ ...schedule, warmup: 0 }, 0), 0.1);
});

test('scheduleFor converts warmup and milestones with the run’s epoch length', () => {
  const schedule = scheduleFor(
    {
      optimizer: 'sgd',
      lr: 0.1,
      momentum: 0.9,
      weightDecay: 1e-4,
      batchSize: 128,
      steps: { epochs: 160, iterations: 0 },
      warmup: { epochs: 0, iterations: 30 },
      milestones: [
        { epochs: 80, iterations: 0 },
        { epochs: 120, iterations: 5 },
      ],
      gamma: 0.2,
      dataOrderSeed: 0,
      evalEvery: { epochs: 1, iterations: 0 },
    },
    390,
  );
  assert.deepEqual(schedule, { lr: 0.1, warmup: 30, milestones: [31_200, 46_805], gamma: 0.2 });
});
