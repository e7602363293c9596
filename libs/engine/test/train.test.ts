import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainState } from '@rewind/core';
import { type EvalResult, getModel, LOSS_REPORT_EVERY, type TrainProgress, type TrainRequest, train } from '@rewind/engine';
import * as tf from '@tensorflow/tfjs-core';
import { halfMask, its, modelHp, request, TRAINING } from './requests.ts';

const lenet = modelHp('mnist_lenet_300_100');
const PRUNED = ['fc1.kernel', 'fc2.kernel'];

test('LeNet learns the synthetic task, and two identical runs give bit-identical states', async () => {
  const first = await train(request(lenet));
  const second = await train(request(lenet));
  assert.deepEqual(second.final, first.final);
  assert.equal(first.final.step, 40);
  const final = first.evals.at(-1)!;
  assert.equal(final.step, 40);
  assert.ok(final.accuracy > 0.5, `accuracy ${final.accuracy} on 10 classes`);
  assert.ok(Number.isFinite(first.trainLoss));
  assert.equal(typeof first.backend, 'string');
});

test('pruned weights are exactly zero after training, even when the start state has them non-zero', async () => {
  const start = request(lenet).start;
  const mask = halfMask(start, PRUNED);
  const outcome = await train(request(lenet, { mask }));
  for (const name of PRUNED) {
    const weights = outcome.final.params[name]!.data;
    const keep = mask[name]!.data;
    let kept = 0;
    for (let i = 0; i < weights.length; i++) {
      if (keep[i] === 0) assert.equal(weights[i], 0, `${name}[${i}]`);
      else if (weights[i] !== start.params[name]!.data[i]) kept++;
    }
    assert.ok(kept > weights.length / 4, `${name}: surviving weights were trained`);
    assert.ok(outcome.final.momentum[name]!.data.every((m, i) => keep[i] === 1 || m === 0));
  }
});

test('resuming from a mid-run checkpoint reproduces the uninterrupted run bit for bit', async () => {
  const mask = halfMask(request(lenet).start, PRUNED);
  const checkpoints: TrainState[] = [];
  const whole = await train(request(lenet, { mask, checkpointEvery: 15, onCheckpoint: (s) => void checkpoints.push(s) }));
  assert.deepEqual(
    checkpoints.map((c) => c.step),
    [15, 30],
  );
  // Step 30 is past the milestone at 25 and inside the second epoch: schedule and order must line up.
  const resumed = await train(request(lenet, { mask, start: checkpoints[1]! }));
  assert.deepEqual(resumed.final, whole.final);
});

test('snapshots are the state before the step: W_0 is the (masked) init, and rewinding to W_k matches', async () => {
  const mask = halfMask(request(lenet).start, PRUNED);
  const snapshots = new Map<number, TrainState>();
  const whole = await train(request(lenet, { mask, snapshotAt: [0, 10, 40], onSnapshot: (s) => void snapshots.set(s.step, s) }));
  const w0 = snapshots.get(0)!;
  assert.deepEqual(w0.momentum, {});
  assert.deepEqual(w0.params['fc.kernel'], request(lenet).start.params['fc.kernel']);
  assert.ok(w0.params['fc1.kernel']!.data.every((v, i) => mask['fc1.kernel']!.data[i] === 1 || v === 0));
  assert.deepEqual(snapshots.get(40), whole.final);

  const tenSteps = await train(request(lenet, { mask, endStep: 10 }));
  assert.deepEqual(snapshots.get(10), tenSteps.final);
  const fromW10 = await train(request(lenet, { mask, start: snapshots.get(10)! }));
  assert.deepEqual(fromW10.final, whole.final);
});

test('evaluations come every evalEvery and at the end, also through onEval; trainLoss covers the last interval', async () => {
  const training = { ...TRAINING, evalEvery: its(10) };
  const seen: EvalResult[] = [];
  const reports: TrainProgress[] = [];
  const outcome = await train(
    request(lenet, {
      training,
      endStep: 25,
      onEval: (e) => void seen.push(e),
      onProgress: (p) => void reports.push(p),
    }),
  );
  assert.deepEqual(
    outcome.evals.map((e) => e.step),
    [10, 20, 25],
  );
  assert.deepEqual(seen, outcome.evals);
  // A report after every step; the loss only at the evaluation boundaries and the end.
  assert.deepEqual(
    reports.map((p) => p.step),
    Array.from({ length: 25 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    reports.filter((p) => p.trainLoss !== undefined).map((p) => p.step),
    [10, 20, 25],
  );
  assert.equal(outcome.trainLoss, reports.at(-1)!.trainLoss);
  for (const e of outcome.evals) {
    assert.ok(e.accuracy >= 0 && e.accuracy <= 1);
    assert.ok(e.loss > 0);
  }
});

test('the loss is reported every 50 steps as the mean since the last report, the same on every run', async () => {
  assert.equal(LOSS_REPORT_EVERY, 50);
  const run = async () => {
    const reports: TrainProgress[] = [];
    const outcome = await train(request(lenet, { endStep: 120, onProgress: (p) => void reports.push(p) }));
    return { outcome, losses: reports.filter((p) => p.trainLoss !== undefined) };
  };
  const first = await run();
  assert.deepEqual(
    first.losses.map((p) => p.step),
    [50, 100, 120],
  );
  for (const p of first.losses) assert.ok(Number.isFinite(p.trainLoss) && p.trainLoss! > 0);
  // No evaluation before the end: the interval is the whole run, the windows' step-weighted mean.
  const [a, b, c] = first.losses.map((p) => p.trainLoss!);
  assert.ok(Math.abs(first.outcome.trainLoss - (50 * a! + 50 * b! + 20 * c!) / 120) < 1e-6);
  const second = await run();
  assert.deepEqual(second.losses, first.losses);
  assert.equal(second.outcome.trainLoss, first.outcome.trainLoss);
});

test('a split kept on the device trains bit-identically to host batches, resumed or not', async () => {
  const mask = halfMask(request(lenet).start, PRUNED);
  const withData = async (setting: string, overrides: Partial<TrainRequest>) => {
    process.env.REWIND_DEVICE_DATA = setting;
    try {
      return await train(request(lenet, { mask, ...overrides }));
    } finally {
      delete process.env.REWIND_DEVICE_DATA;
    }
  };
  const checkpoints: TrainState[] = [];
  const host = await withData('off', {});
  const device = await withData('on', { checkpointEvery: 15, onCheckpoint: (s) => void checkpoints.push(s) });
  assert.deepEqual(device.final, host.final);
  assert.deepEqual(device.evals, host.evals);
  assert.equal(device.trainLoss, host.trainLoss);
  const resumed = await withData('on', { start: checkpoints[1]! });
  assert.deepEqual(resumed.final, host.final);
  const before = tf.memory().numTensors;
  await assert.rejects(withData('sometimes', {}), /REWIND_DEVICE_DATA: unknown value "sometimes"/);
  assert.equal(tf.memory().numTensors, before);
});

test('tensor count stays flat over many steps and returns to where it was', async () => {
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  await train(request(lenet, { endStep: 120, onProgress: () => void counts.push(tf.memory().numTensors) }));
  assert.equal(counts.length, 120);
  assert.equal(Math.max(...counts), Math.min(...counts));
  assert.equal(tf.memory().numTensors, before);
});

test('an abort stops training with the signal’s reason and frees the device state', async () => {
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  let steps = 0;
  await assert.rejects(
    train(
      request(lenet, {
        signal: controller.signal,
        onProgress: (p) => {
          steps = p.step;
          if (p.step === 5) controller.abort();
        },
      }),
    ),
    { name: 'AbortError' },
  );
  assert.equal(steps, 5);
  assert.equal(tf.memory().numTensors, before);
});

test('requests that cannot fit the model are rejected before training', async () => {
  const start = request(lenet).start;
  const wrongMask = { 'fc1.kernel': { shape: [3, 3], data: new Uint8Array(9) } };
  await assert.rejects(train(request(lenet, { mask: wrongMask })), /mask fc1\.kernel has shape/);
  await assert.rejects(train(request(lenet, { endStep: -1 })), /endStep/);
  const { 'fc2.kernel': _, ...lacking } = start.params;
  await assert.rejects(train(request(lenet, { start: { ...start, params: lacking } })), /lacks parameter fc2\.kernel/);
  const fiveClasses = { ...start, ...getModel('mnist_lenet_300_100').init(lenet, [16, 16, 3], 5) };
  await assert.rejects(train(request(lenet, { start: fiveClasses })), /5 outputs, the dataset 10 classes/);
  const imagenet = modelHp('imagenet_resnet_18');
  await assert.rejects(train(request(lenet, { model: imagenet, start })), /needs inputs of at least 32x32/);
});
