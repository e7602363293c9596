import assert from 'node:assert/strict';
import { test } from 'node:test';
import { permutation, rngFor } from '@rewind/core';
import { loadDataset } from '@rewind/data';
import { DataOrder, ensureBackend, gatherBatch, iterationsPerEpoch } from '@rewind/engine';
import * as tf from '@tensorflow/tfjs-core';
import { deviceBatches, hostBatches, keepsDataOnDevice } from '../src/batch-source.ts';

test('each epoch is a seeded permutation cut into full batches', () => {
  const order = new DataOrder(5, 100, 30, 3);
  const epoch1 = permutation(100, rngFor(5, 'order', 1));
  assert.deepEqual([...order.indicesAt(4)], [...epoch1.subarray(30, 60)]);
  const seen = new Set<number>();
  for (let step = 3; step < 6; step++) for (const i of order.indicesAt(step)) seen.add(i);
  assert.equal(seen.size, 90);
});

test('the batch at a step does not depend on which steps were asked before', () => {
  const walked = new DataOrder(9, 50, 8, 6);
  const sequence = Array.from({ length: 20 }, (_, step) => [...walked.indicesAt(step)]);
  const fresh = (step: number) => [...new DataOrder(9, 50, 8, 6).indicesAt(step)];
  for (const step of [0, 5, 6, 13, 19]) assert.deepEqual(sequence[step], fresh(step));
  assert.notDeepEqual(sequence[0], sequence[6]);
  assert.notDeepEqual(fresh(0), [...new DataOrder(10, 50, 8, 6).indicesAt(0)]);
});

test('gatherBatch copies the chosen examples and labels in index order', () => {
  const split = {
    images: Float32Array.from({ length: 12 }, (_, i) => i),
    labels: Uint8Array.of(7, 8, 9),
    count: 3,
  };
  const batch = gatherBatch(split, [2, 0], 4);
  assert.deepEqual([...batch.images], [8, 9, 10, 11, 0, 1, 2, 3]);
  assert.deepEqual([...batch.labels], [9, 7]);
});

test('the split stays on the device on GPU backends without augmentation, or as REWIND_DEVICE_DATA says', () => {
  assert.equal(keepsDataOnDevice('webgpu', false, undefined), true);
  assert.equal(keepsDataOnDevice('tensorflow-gpu', false, 'auto'), true);
  assert.equal(keepsDataOnDevice('rewind-native', false, undefined), false);
  assert.equal(keepsDataOnDevice('rewind-native', false, 'on'), true);
  assert.equal(keepsDataOnDevice('webgpu', false, 'off'), false);
  assert.equal(keepsDataOnDevice('webgpu', true, 'on'), false);
  assert.throws(() => keepsDataOnDevice('cpu', false, 'yes'), /allowed values are auto, on, off/);
});

test('batches gathered on the device equal the host batches', async () => {
  await ensureBackend();
  const dataset = await loadDataset({ name: 'synthetic', dir: '', trainSubset: 0 });
  const order = new DataOrder(4, dataset.train.count, 32, iterationsPerEpoch(dataset.train.count, 32));
  const host = hostBatches(dataset, order, undefined, 4);
  const device = deviceBatches(dataset, order);
  try {
    for (const step of [0, 7, 16, 33]) {
      const [hostInputs, deviceInputs] = [await host.inputsAt(step), await device.inputsAt(step)];
      const [a, b] = [host.batchOf(hostInputs), device.batchOf(deviceInputs)];
      assert.deepEqual(b.x.shape, a.x.shape);
      assert.deepEqual(await b.x.data(), await a.x.data());
      assert.deepEqual(await b.labels.data(), await a.labels.data());
      tf.dispose([...hostInputs, ...deviceInputs, a.x, a.labels, b.x, b.labels]);
    }
  } finally {
    host.dispose();
    device.dispose();
  }
});
