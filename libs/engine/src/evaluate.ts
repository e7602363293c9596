/** Test-set loss and accuracy, batch by batch in inference mode (BN running statistics). */
import type { ModelHparams, TensorSet } from '@rewind/core';
import type { Split } from '@rewind/data';
import * as tf from '@tensorflow/tfjs-core';
import { toDevice } from './host.ts';
import type { InputShape, ModelDefinition, NamedTensors } from './models/model.ts';
import { checkInputShape, getModel } from './models/registry.ts';
import { ensureBackend } from './runtime.ts';

export interface Weights {
  readonly params: TensorSet;
  readonly buffers: TensorSet;
}

export interface Evaluation {
  /** Mean cross-entropy per example. */
  readonly loss: number;
  /** Fraction of examples whose highest logit is the label. */
  readonly accuracy: number;
}

export const DEFAULT_EVAL_BATCH = 1000;

/** Evaluates host weights (e.g. a point on a linear interpolation path) on every example of `split`. */
export async function evaluate(
  model: ModelHparams,
  weights: Weights,
  split: Split,
  inputShape: InputShape,
  batchSize = DEFAULT_EVAL_BATCH,
): Promise<Evaluation> {
  await ensureBackend();
  const definition = getModel(model.name);
  checkInputShape(definition, inputShape);
  const params = upload(weights.params);
  const buffers = upload(weights.buffers);
  try {
    return await evaluateOnDevice(definition, params, buffers, split, inputShape, batchSize);
  } finally {
    tf.dispose([...Object.values(params), ...Object.values(buffers)]);
  }
}

/** The same, for weights already on the device (training evaluates its live variables). */
export async function evaluateOnDevice(
  definition: ModelDefinition,
  params: NamedTensors,
  buffers: NamedTensors,
  split: Split,
  inputShape: InputShape,
  batchSize = DEFAULT_EVAL_BATCH,
): Promise<Evaluation> {
  if (split.count === 0) throw new RangeError('cannot evaluate on an empty split');
  const [h, w, c] = inputShape;
  const exampleLength = h * w * c;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const count = Math.min(batchSize, split.count - start);
    const sums = tf.tidy(() => {
      const images = split.images.subarray(start * exampleLength, (start + count) * exampleLength);
      const x = tf.tensor4d(images, [count, h, w, c]);
      const labels = tf.tensor1d(Int32Array.from(split.labels.subarray(start, start + count)), 'int32');
      const { logits } = definition.forward(params, buffers, x, false);
      const numClasses = logits.shape[1];
      const losses = tf.neg(tf.sum(tf.mul(tf.oneHot(labels, numClasses), tf.logSoftmax(logits)), 1));
      const hits = tf.equal(tf.argMax(logits, 1), labels);
      return tf.stack([tf.sum(losses), tf.sum(tf.cast(hits, 'float32'))]);
    });
    const [batchLoss, batchCorrect] = await sums.data();
    sums.dispose();
    lossSum += batchLoss!;
    correct += batchCorrect!;
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count };
}

function upload(set: TensorSet): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(set)) out[name] = toDevice(t);
  return out;
}
