/**
 * The engine's view of a streamed image dataset: shapes and counts from the index, training batches that
 * start at any step (a rewound run) equal to the uninterrupted stream's, evaluation over the whole val split,
 * and the spec's corrupt-JPEG policy.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DatasetHparams, TrainingHparams } from '@rewind/core';
import { initBackend, openTrainingData, type TrainingData } from '@rewind/engine';
import { DatasetError } from '@rewind/data';
import { generateImageFolder, listImageFolder, packImageFolder } from '@rewind/image-data';
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

test("the spec's on_corrupt reaches the stream: a corrupt JPEG in a shard fails training naming it, or is left out with a warning", async () => {
  const dir = await tempDir('stream-corrupt');
  try {
    await generateImageFolder(join(dir, 'folder'), { classes: 2, trainPerClass: 8, valPerClass: 1, minSide: 40, maxSide: 60, quality: 90, seed: 2 });
    const { splits } = await listImageFolder(join(dir, 'folder'));
    const victim = splits.train[3]!.path;
    await writeFile(victim, (await readFile(victim)).subarray(0, 200));
    await packImageFolder(join(dir, 'folder'), join(dir, 'shards'), { shardBytes: 1 << 20, seed: 0 });
    const hp = (onCorrupt: 'error' | 'skip'): DatasetHparams => ({ name: 'imagenet', dir: join(dir, 'shards'), trainSubset: 0, imageSize: 32, onCorrupt });
    const epoch = { ...training, batchSize: 16 };

    const failing = await (await openTrainingData(hp('error'))).trainBatches(epoch, 'cpu', 0, 1);
    try {
      await assert.rejects(async () => failing.inputsAt(0), (e: Error) => e instanceof DatasetError && /corrupt JPEG/.test(e.message) && /on_corrupt: skip/.test(e.message));
    } finally {
      await failing.dispose();
    }
    const skipping = await (await openTrainingData(hp('skip'))).trainBatches(epoch, 'cpu', 0, 1);
    try {
      const inputs = await skipping.inputsAt(0);
      assert.deepEqual(
        inputs.map((t) => t.shape[0]),
        [15, 15],
        'the batch of 16 has one image fewer',
      );
      tf.dispose(inputs);
    } finally {
      await skipping.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
