/**
 * Where the training batch at a step comes from, as tensors. The host source gathers (and maybe
 * augments) on the host and uploads each batch; the device source uploads the training split once
 * and gathers every batch on the device, which saves a GPU an upload per step. Both give the same
 * values for the same indices, so which one runs never changes a result.
 *
 * A source splits a batch in two: the step's inputs, which vary (the host batch, or the indices),
 * and the ops that make the batch from them, which run inside the step, so a recorded step
 * (step-replay.ts) replays the device gather too.
 */
import { type AugmentationRecipe, type Dataset, exampleSize } from '@rewind/data';
import * as tf from '@tensorflow/tfjs-core';
import { augmentBatch } from './augment.ts';
import { type DataOrder, gatherBatch } from './batches.ts';

export interface TensorBatch {
  /** NHWC images. */
  readonly x: tf.Tensor4D;
  /** int32 class labels. */
  readonly labels: tf.Tensor1D;
}

export interface BatchSource {
  /** What the step at `step` takes in; the caller owns (and disposes) the tensors. Streamed data may wait for them. */
  inputsAt(step: number): tf.Tensor[] | Promise<tf.Tensor[]>;
  /** The batch from `inputsAt`'s tensors, as device ops (run inside the step; tidy the results). */
  batchOf(inputs: readonly tf.Tensor[]): TensorBatch;
  /** Tensors every batch is drawn from, alive until `dispose`: read-only state of each step. */
  readonly resident: readonly tf.Tensor[];
  dispose(): void | Promise<void>;
}

/** Backends on which the training split lives on the device: those where an upload per step costs. */
export const DEVICE_DATA_BACKENDS: readonly string[] = ['webgpu', 'tensorflow-gpu'];

/**
 * Whether `train` keeps the split on the device on `backend` (a BackendChoice name).
 * `REWIND_DEVICE_DATA=on|off` overrides (for checks and benchmarks); augmentation always runs on the host.
 * On the CPU backends the host path is the faster one: tfjs's CPU gather costs more than the copy it saves.
 */
export function keepsDataOnDevice(backend: string, augmented: boolean, setting = process.env.REWIND_DEVICE_DATA): boolean {
  if (augmented) return false;
  if (setting === 'on') return true;
  if (setting === 'off') return false;
  if (setting && setting !== 'auto') throw new Error(`REWIND_DEVICE_DATA: unknown value "${setting}"; allowed values are auto, on, off`);
  return DEVICE_DATA_BACKENDS.includes(backend);
}

export function hostBatches(dataset: Dataset, order: DataOrder, augmentation: AugmentationRecipe | undefined, seed: number): BatchSource {
  const [h, w, c] = dataset.inputShape;
  const length = exampleSize(dataset);
  return {
    inputsAt(step) {
      const gathered = gatherBatch(dataset.train, order.indicesAt(step), length);
      // Only training batches are augmented; evaluation reads the splits as they are.
      const batch = augmentation ? augmentBatch(gathered, dataset.inputShape, augmentation, seed, step) : gathered;
      const count = batch.labels.length;
      return [tf.tensor4d(batch.images, [count, h, w, c]), tf.tensor1d(batch.labels, 'int32')];
    },
    batchOf: ([x, labels]) => ({ x: x as tf.Tensor4D, labels: labels as tf.Tensor1D }),
    resident: [],
    dispose() {},
  };
}

/** Uploads the training split once; each batch is a gather on the device by the step's indices. */
export function deviceBatches(dataset: Dataset, order: DataOrder): BatchSource {
  const [h, w, c] = dataset.inputShape;
  const { train } = dataset;
  const images = tf.tensor4d(train.images.subarray(0, train.count * h * w * c), [train.count, h, w, c]);
  const labels = tf.tensor1d(Int32Array.from(train.labels.subarray(0, train.count)), 'int32');
  return {
    inputsAt: (step) => [tf.tensor1d(Int32Array.from(order.indicesAt(step)), 'int32')],
    batchOf: ([indices]) => ({ x: tf.gather(images, indices!) as tf.Tensor4D, labels: tf.gather(labels, indices!) as tf.Tensor1D }),
    resident: [images, labels],
    dispose() {
      tf.dispose([images, labels]);
    },
  };
}
