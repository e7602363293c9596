import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainState } from '@rewind/core';
import { loadDataset } from '@rewind/data';
import { evaluate, getModel, splitEvalSet, train } from '@rewind/engine';
import { modelHp, request, TRAINING } from './requests.ts';

// A quarter-width ResNet-20 (4/8/16 filters) keeps batch-norm training cheap on the CPU.
const resnet = modelHp('cifar_resnet_20', 0.25);
// Conv gradients are slow on the pure-JS kernels, so these runs take only a handful of small steps.
const short = { ...TRAINING, batchSize: 8 };

test('batch norm: running statistics move during training and resume bit-identically', async () => {
  const checkpoints: TrainState[] = [];
  const whole = await train(
    request(resnet, { training: short, endStep: 4, checkpointEvery: 2, onCheckpoint: (s) => void checkpoints.push(s) }),
  );
  const start = request(resnet).start;
  for (const name of ['bn.running_mean', 'blocks.8.bn2.running_var', 'blocks.6.shortcut.bn.running_mean']) {
    assert.notDeepEqual(whole.final.buffers[name], start.buffers[name], name);
  }
  const resumed = await train(request(resnet, { training: short, endStep: 4, start: checkpoints[0]! }));
  assert.deepEqual(resumed.final, whole.final);
});

test('evaluation runs in inference mode on the running statistics', async () => {
  const outcome = await train(request(resnet, { training: short, endStep: 2 }));
  const data = await loadDataset({ name: 'synthetic', dir: '', trainSubset: 0 });
  const final = outcome.evals.at(-1)!;
  const again = await evaluate(resnet, outcome.final, splitEvalSet(data.test, data.inputShape, 100));
  assert.ok(Math.abs(again.loss - final.loss) < 1e-5);
  assert.equal(again.accuracy, final.accuracy);
  const freshStats = { params: outcome.final.params, buffers: request(resnet).start.buffers };
  const withFreshStats = await evaluate(resnet, freshStats, splitEvalSet(data.test, data.inputShape));
  assert.notEqual(withFreshStats.loss, final.loss);
});

test('a width that does not give whole filter counts is refused', () => {
  assert.throws(() => getModel('cifar_resnet_20').init(modelHp('cifar_resnet_20', 0.3), [32, 32, 3], 10), /width 0\.3/);
});
