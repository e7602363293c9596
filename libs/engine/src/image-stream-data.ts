/**
 * An image dataset streamed from its JPEG shards (@rewind/image-data): training batches are decoded and
 * cropped by a pool of worker threads a few batches ahead of the step that takes them, as uint8, and
 * normalised with ImageNet's mean and std on the device. The batch at a step is a pure function of
 * (data_order_seed, step), so a run rewound to step k starts reading there and decodes nothing before it.
 */
import { availableParallelism } from 'node:os';
import type { DatasetHparams } from '@rewind/core';
import { DatasetError } from '@rewind/data';
import { type ImageBatch, ImageBatchStream, openImageSplit, readImageIndex, type SplitName, splitSize } from '@rewind/image-data';
import * as tf from '@tensorflow/tfjs-core';
import type { BatchSource, TensorBatch } from './batch-source.ts';
import type { EvalSet } from './evaluate.ts';
import type { InputShape } from './models/model.ts';
import type { TrainingData } from './training-data.ts';

const MEAN = [0.485, 0.456, 0.406].map((m) => m * 255);
const STD = [0.229, 0.224, 0.225].map((s) => s * 255);
/** Evaluation batches: small enough that ResNet-50 at 224 evaluates within a few hundred MB. */
const EVAL_BATCH = 64;
const HINT = 'The index changed since the sweep was planned: pack the data again, or start a new sweep on it';

/** Decode workers and batches read ahead; neither changes a result. */
export interface PipelineSettings {
  readonly workers: number;
  readonly prefetch: number;
}

export function pipelineSettings(env: NodeJS.ProcessEnv = process.env): PipelineSettings {
  const whole = (name: string, fallback: number, max: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`${name}: expected a whole number in [1, ${max}], got "${text}"`);
    return n;
  };
  return { workers: whole('REWIND_DATA_WORKERS', availableParallelism(), 256), prefetch: whole('REWIND_DATA_PREFETCH', 2, 64) };
}

export async function openImageStreamData(hp: DatasetHparams, settings = pipelineSettings()): Promise<TrainingData> {
  const size = hp.imageSize;
  if (size === undefined) throw new DatasetError('invalid_request', hp.dir, 'no image size', 'Set dataset.image_size');
  const index = await readImageIndex(hp.dir);
  const count = (split: SplitName) => splitSize(index, split);
  const trainCount = count('train');
  if (hp.classes !== undefined && hp.classes !== index.classes.length) {
    throw new DatasetError('malformed', hp.dir, `the index has ${index.classes.length} classes; the sweep was planned for ${hp.classes}`, HINT);
  }
  if (hp.trainSize !== undefined && hp.trainSize !== trainCount) {
    throw new DatasetError('malformed', hp.dir, `the index has ${trainCount} training samples; the sweep was planned for ${hp.trainSize}`, HINT);
  }
  const inputShape: InputShape = [size, size, 3];
  const stream = async (split: SplitName, train: boolean, seed: number, batchSize: number) =>
    new ImageBatchStream(await openImageSplit(hp.dir, split), {
      batchSize,
      size,
      train,
      augmentSeed: seed,
      orderSeed: seed,
      ...settings,
      onCorrupt: hp.onCorrupt ?? 'error',
      onWarning: (message) => process.stderr.write(`rewind: ${message}\n`),
    });
  const evalSet = (split: SplitName): EvalSet => ({
    inputShape,
    async *batches() {
      const images = await stream(split, false, 0, EVAL_BATCH);
      try {
        for await (const batch of images.batches(0, images.stepsPerEpoch)) yield normalisedBatch(batch, size);
      } finally {
        await images.close();
      }
    },
  });
  const head = async (split: SplitName, examples: number) => decodedHead(await stream(split, false, 0, EVAL_BATCH), Math.min(examples, count(split)), size);

  return {
    inputShape,
    numClasses: index.classes.length,
    trainCount,
    async trainBatches(training, _backend, from, to) {
      return streamedBatches(await stream('train', true, training.dataOrderSeed, training.batchSize), size, from, to);
    },
    test: evalSet('val'),
    heads: async (examples) => ({ train: await head('train', examples), test: await head('val', examples) }),
  };
}

/** uint8 NHWC → float, normalised per channel; runs on the device. */
function normalise(x: tf.Tensor4D, mean: tf.Tensor, std: tf.Tensor): tf.Tensor4D {
  return tf.div(tf.sub(x, mean), std) as tf.Tensor4D;
}

function normalisedBatch(batch: ImageBatch, size: number): TensorBatch {
  return tf.tidy(() => ({
    x: normalise(tf.tensor4d(batch.images, [batch.count, size, size, 3], 'float32'), tf.tensor1d(MEAN), tf.tensor1d(STD)),
    labels: tf.tensor1d(batch.labels, 'int32'),
  }));
}

function streamedBatches(images: ImageBatchStream, size: number, from: number, to: number): BatchSource {
  const ahead = images.batches(from, to)[Symbol.asyncIterator]();
  // Device constants, alive as long as the source: a recorded GPU step reads them as state.
  const mean = tf.tensor1d(MEAN);
  const std = tf.tensor1d(STD);
  return {
    async inputsAt(step) {
      const next = await ahead.next();
      if (next.done || next.value.step !== step) throw new Error(`image stream out of step: the trainer asked for step ${step}, the stream has ${next.done ? 'ended' : `step ${next.value.step}`}`);
      const batch = next.value;
      return [tf.tensor4d(batch.images, [batch.count, size, size, 3], 'float32'), tf.tensor1d(batch.labels, 'int32')];
    },
    batchOf: ([x, labels]) => ({ x: normalise(x as tf.Tensor4D, mean, std), labels: labels as tf.Tensor1D }),
    resident: [mean, std],
    async dispose() {
      tf.dispose([mean, std]);
      await ahead.return?.(undefined);
      await images.close();
    },
  };
}

/** The first `examples` of a split, decoded once and kept as uint8 (a quarter of their size in floats). */
async function decodedHead(images: ImageBatchStream, examples: number, size: number): Promise<EvalSet> {
  const bytes = size * size * 3;
  const pixels = new Uint8Array(examples * bytes);
  const labels = new Int32Array(examples);
  let kept = 0;
  try {
    for await (const batch of images.batches(0, Math.ceil(examples / EVAL_BATCH))) {
      const n = Math.min(batch.count, examples - kept);
      pixels.set(batch.images.subarray(0, n * bytes), kept * bytes);
      labels.set(batch.labels.subarray(0, n), kept);
      kept += n;
    }
  } finally {
    await images.close();
  }
  return {
    inputShape: [size, size, 3],
    async *batches() {
      for (let start = 0; start < kept; start += EVAL_BATCH) {
        const n = Math.min(EVAL_BATCH, kept - start);
        yield normalisedBatch({ step: 0, images: pixels.subarray(start * bytes, (start + n) * bytes), labels: labels.subarray(start, start + n), count: n }, size);
      }
    },
  };
}
