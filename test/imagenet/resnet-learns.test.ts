/**
 * The ImageNet ResNets learn from the JPEG pipeline: a few SGD steps on a batch of generated JPEGs, decoded,
 * cropped and augmented by @rewind/image-data and normalised on the device, lower its loss on rewind-native.
 * The steps are all on that one batch: with batch statistics on 16 images, steps on different batches move
 * the loss on any one of them up and down (ResNet-50 at lr 0.002 to 0.01 ended above its start on one CPU
 * and below on another), while steps on one batch descend one objective.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ModelName, TensorSet } from '@rewind/core';
import { getModel, initBackend, meanSoftmaxCrossEntropy } from '@rewind/engine';
import { generateImageFolder, type ImageBatch, ImageBatchStream, openLocalShards, packImageFolder } from '@rewind/image-data';
import * as tf from '@tensorflow/tfjs-core';

const SIZE = 32;
const CLASSES = 4;
const MEAN = [0.485, 0.456, 0.406].map((m) => m * 255);
const STD = [0.229, 0.224, 0.225].map((s) => s * 255);

let dir: string;
before(async () => {
  assert.equal((await initBackend('rewind-native')).name, 'rewind-native');
  dir = await mkdtemp(join(tmpdir(), 'rewind-resnet-'));
  await generateImageFolder(join(dir, 'folder'), { classes: CLASSES, trainPerClass: 8, valPerClass: 1, minSide: 48, maxSide: 160, quality: 90, seed: 0 });
  await packImageFolder(join(dir, 'folder'), join(dir, 'shards'), { shardBytes: 1 << 20, seed: 0 });
});
after(() => rm(dir, { recursive: true, force: true }));

/** uint8 NHWC from the pipeline → float, normalised with ImageNet's mean and std, on the device. */
function normalised(batch: ImageBatch): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(tf.tensor4d(batch.images, [batch.count, SIZE, SIZE, 3], 'float32'), MEAN), STD) as tf.Tensor4D);
}

// ResNet-50's bottlenecks take a smaller step without warmup: at 0.003 no step's loss exceeds the start.
for (const [name, lr] of [
  ['imagenet_resnet_18', 0.05],
  ['imagenet_resnet_50', 0.003],
] as [ModelName, number][]) {
  test(`${name}: a few SGD steps on generated JPEGs lower the training loss`, async (t) => {
    const model = getModel(name);
    const { params, buffers } = model.init({ name, width: 1, initSeed: 1 }, [SIZE, SIZE, 3], CLASSES);
    const upload = (set: TensorSet) => Object.fromEntries(Object.entries(set).map(([k, t]) => [k, tf.variable(tf.tensor(t.data, [...t.shape]))]));
    const p = upload(params);
    const b = upload(buffers);
    const stream = new ImageBatchStream(await openLocalShards(join(dir, 'shards'), 'train'), {
      batchSize: 16,
      size: SIZE,
      train: true,
      augmentSeed: 0,
      orderSeed: 0,
      workers: 1,
      prefetch: 2,
      onCorrupt: 'error',
    });
    try {
      const first = await stream.batchAt(0);
      const x0 = normalised(first);
      const y0 = tf.oneHot(tf.tensor1d(first.labels, 'int32'), CLASSES);
      const lossOn = (x: tf.Tensor4D, y: tf.Tensor) => meanSoftmaxCrossEntropy(y, model.forward(p, b, x, true).logits);
      const before = tf.tidy(() => lossOn(x0, y0).dataSync()[0]!);
      for (let step = 0; step < 6; step++) {
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => lossOn(x0, y0), Object.values(p) as tf.Variable[]);
          for (const variable of Object.values(p)) variable.assign(tf.sub(variable, tf.mul(grads[variable.name]!, lr)));
        });
      }
      const afterLoss = tf.tidy(() => lossOn(x0, y0).dataSync()[0]!);
      t.diagnostic(`loss on the first batch ${before.toFixed(3)} → ${afterLoss.toFixed(3)}`);
      assert.ok(Number.isFinite(afterLoss) && afterLoss < before, `loss ${before} → ${afterLoss}`);
      tf.dispose([x0, y0, ...Object.values(p), ...Object.values(b)]);
    } finally {
      await stream.close();
    }
  });
}
