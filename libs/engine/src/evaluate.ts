/** Loss and accuracy over an evaluation set, batch by batch in inference mode (BN running statistics). */
import type { ModelHparams, TensorSet } from '@rewind/core';
import type { Split } from '@rewind/data';
import * as tf from '@tensorflow/tfjs-core';
import type { TensorBatch } from './batch-source.ts';
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

/**
 * Examples to evaluate on, as device batches in a fixed order: a split in memory, or JPEGs decoded as
 * they stream. Each pass yields every example once; the consumer disposes each batch's tensors.
 */
export interface EvalSet {
  readonly inputShape: InputShape;
  batches(): AsyncIterable<TensorBatch>;
}

export const DEFAULT_EVAL_BATCH = 1000;

/** A split in memory (normalised floats), `batchSize` examples a batch. */
export function splitEvalSet(split: Split, inputShape: InputShape, batchSize = DEFAULT_EVAL_BATCH): EvalSet {
  const [h, w, c] = inputShape;
  const exampleLength = h * w * c;
  return {
    inputShape,
    async *batches() {
      for (let start = 0; start < split.count; start += batchSize) {
        const count = Math.min(batchSize, split.count - start);
        const images = split.images.subarray(start * exampleLength, (start + count) * exampleLength);
        yield {
          x: tf.tensor4d(images, [count, h, w, c]),
          labels: tf.tensor1d(Int32Array.from(split.labels.subarray(start, start + count)), 'int32'),
        };
      }
    },
  };
}

/** Evaluates host weights (e.g. a point on a linear interpolation path) on every example of `set`. */
export async function evaluate(model: ModelHparams, weights: Weights, set: EvalSet): Promise<Evaluation> {
  await ensureBackend();
  const definition = getModel(model.name);
  checkInputShape(definition, set.inputShape);
  const params = upload(weights.params);
  const buffers = upload(weights.buffers);
  try {
    return await evaluateOnDevice(definition, params, buffers, set);
  } finally {
    tf.dispose([...Object.values(params), ...Object.values(buffers)]);
  }
}

/** The same, for weights already on the device (training evaluates its live variables). */
export async function evaluateOnDevice(definition: ModelDefinition, params: NamedTensors, buffers: NamedTensors, set: EvalSet): Promise<Evaluation> {
  let lossSum = 0;
  let correct = 0;
  let examples = 0;
  for await (const batch of set.batches()) {
    let sums: tf.Tensor;
    try {
      sums = tf.tidy(() => {
        const { logits } = definition.forward(params, buffers, batch.x, false);
        const numClasses = logits.shape[1];
        const losses = tf.neg(tf.sum(tf.mul(tf.oneHot(batch.labels, numClasses), tf.logSoftmax(logits)), 1));
        const hits = tf.equal(tf.argMax(logits, 1), batch.labels);
        return tf.stack([tf.sum(losses), tf.sum(tf.cast(hits, 'float32'))]);
      });
      examples += batch.labels.shape[0];
    } finally {
      tf.dispose([batch.x, batch.labels]);
    }
    const [batchLoss, batchCorrect] = await sums.data();
    sums.dispose();
    lossSum += batchLoss!;
    correct += batchCorrect!;
  }
  if (examples === 0) throw new RangeError('cannot evaluate on an empty split');
  return { loss: lossSum / examples, accuracy: correct / examples };
}

function upload(set: TensorSet): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(set)) out[name] = toDevice(t);
  return out;
}
