import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorSet } from '@rewind/core';
import { syntheticDataset } from '@rewind/data';
import { evaluate, splitEvalSet } from '@rewind/engine';
import * as tf from '@tensorflow/tfjs-core';
import { initialState, modelHp } from './requests.ts';

const lenet = modelHp('mnist_lenet_300_100');
const data = syntheticDataset({ testCount: 53 });

function zeroed(set: TensorSet): TensorSet {
  return Object.fromEntries(Object.entries(set).map(([k, t]) => [k, { shape: t.shape, data: new Float32Array(t.data.length) }]));
}

test('all-zero weights predict uniformly: loss is ln(classes), the argmax is class 0', async () => {
  const { params, buffers } = initialState(lenet);
  const result = await evaluate(lenet, { params: zeroed(params), buffers }, splitEvalSet(data.test, data.inputShape, 20));
  assert.ok(Math.abs(result.loss - Math.log(10)) < 1e-5, `loss ${result.loss}`);
  const zeros = data.test.labels.filter((label) => label === 0).length;
  assert.equal(result.accuracy, zeros / data.test.count);
});

test('the result does not depend on the batch size (a partial last batch counts fully)', async () => {
  const weights = initialState(lenet);
  const before = tf.memory().numTensors;
  const whole = await evaluate(lenet, weights, splitEvalSet(data.test, data.inputShape, 1000));
  const batched = await evaluate(lenet, weights, splitEvalSet(data.test, data.inputShape, 7));
  assert.ok(Math.abs(whole.loss - batched.loss) < 1e-5);
  assert.equal(whole.accuracy, batched.accuracy);
  assert.equal(tf.memory().numTensors, before);
});
