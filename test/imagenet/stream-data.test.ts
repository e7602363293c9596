/**
 * The engine's view of a streamed image dataset: shapes and counts from the index, training batches that
 * start at any step (a rewound run) equal to the uninterrupted stream's, evaluation over the whole val split.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DatasetHparams, TrainingHparams } from '@rewind/core';
import { initBackend, openTrainingData, type TrainingData } from '@rewind/engine';
import { generateImageFolder, packImageFolder } from '@rewind/image-data';
import * as tf from '@tensorflow/tfjs-core';
import { tempDir } from '../embedded/helpers.ts';

const training: TrainingHparams = {
  optimizer: 'sgd',
  lr: 0.1,
  momentum: 0,
  weightDecay: 0,
  batchSize: 8,
  steps: { epochs: 2, iterations: 0 },
  warmup: { epochs: 0, iterations: 0 },
  milestones: [],
  gamma: 0.1,
  dataOrderSeed: 5,
  evalEvery: { epochs: 1, iterations: 0 },
};

let work: string;
let data: TrainingData;
before(async () => {
  await initBackend('cpu');
  work = await tempDir('stream-data');
  await generateImageFolder(join(work, 'folder'), { classes: 3, trainPerClass: 8, valPerClass: 3, minSide: 40, maxSide: 90, quality: 90, seed: 1 });
  await packImageFolder(join(work, 'folder'), join(work, 'shards'), { shardBytes: 30_000, seed: 0 });
  const hp: DatasetHparams = { name: 'imagenet', dir: join(work, 'shards'), trainSubset: 0, imageSize: 32, onCorrupt: 'error' };
  data = await openTrainingData(hp);
});
after(async () => {
  await data?.close();
  await rm(work, { recursive: true, force: true });
});

test('shapes and counts come from the index', () => {
  assert.deepEqual(data.inputShape, [32, 32, 3]);
  assert.equal(data.numClasses, 3);
  assert.equal(data.trainCount, 24);
});

test('a source opened at step k gives the batch the uninterrupted stream gives at k; steps out of order are refused', async () => {
  const whole = await data.trainBatches(training, 'cpu', 0, 6);
  const fromK = await data.trainBatches(training, 'cpu', 4, 6);
  try {
    for (let step = 0; step < 4; step++) tf.dispose(await whole.inputsAt(step));
    for (const step of [4, 5]) {
      const [a, b] = [await whole.inputsAt(step), await fromK.inputsAt(step)];
      const [x, y] = [whole.batchOf(a), fromK.batchOf(b)];
      assert.deepEqual(x.x.shape, [8, 32, 32, 3]);
      assert.deepEqual(await y.x.data(), await x.x.data(), `step ${step}: images`);
      assert.deepEqual(await y.labels.data(), await x.labels.data(), `step ${step}: labels`);
      tf.dispose([...a, ...b, x.x, y.x]);
    }
  } finally {
    await whole.dispose();
    await fromK.dispose();
  }
  const skipping = await data.trainBatches(training, 'cpu', 0, 6);
  try {
    await assert.rejects(async () => skipping.inputsAt(3), /trainer asked for step 3, the stream has step 0/);
  } finally {
    await skipping.dispose();
  }
});

test('evaluation reads every val image once, normalised; heads decode the first examples of each split', async () => {
  let examples = 0;
  let sum = 0;
  for await (const batch of data.test.batches()) {
    examples += batch.labels.shape[0];
    sum += (await tf.sum(batch.x).data())[0]!;
    tf.dispose([batch.x, batch.labels]);
  }
  assert.equal(examples, 9);
  assert.ok(Number.isFinite(sum) && sum !== 0);
  const heads = await data.heads(5);
  for (const set of [heads.train, heads.test]) {
    let n = 0;
    for await (const batch of set.batches()) {
      n += batch.labels.shape[0];
      tf.dispose([batch.x, batch.labels]);
    }
    assert.equal(n, 5);
  }
});
