/** Functional layers over named parameters, with PyTorch semantics (explicit padding, BN momentum). */
import { BATCH_NORM_TRAIN_KERNEL, type BatchNormAttrs } from '../kernel-contract.ts';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensors } from './model.ts';

const BN_EPSILON = 1e-5;
/** PyTorch's default: running = (1 - m) * running + m * batch. */
const BN_MOMENTUM = 0.1;

export function param(params: NamedTensors, name: string): tf.Tensor {
  const t = params[name];
  if (!t) throw new Error(`model parameter ${name} is missing`);
  return t;
}

export function dense(params: NamedTensors, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, param(params, `${name}.kernel`) as tf.Tensor2D), param(params, `${name}.bias`));
}

/** Square conv with PyTorch-style symmetric padding (k-1)/2, so strided outputs align as in torch. */
export function conv(params: NamedTensors, name: string, x: tf.Tensor4D, stride = 1): tf.Tensor4D {
  const kernel = param(params, `${name}.kernel`) as tf.Tensor4D;
  const size = kernel.shape[0];
  const y = tf.conv2d(x, kernel, stride, (size - 1) / 2);
  const bias = params[`${name}.bias`];
  return bias ? tf.add(y, bias) : y;
}

export function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}

export function flatten(x: tf.Tensor): tf.Tensor2D {
  return tf.reshape(x, [x.shape[0]!, -1]);
}

export function globalAveragePool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]);
}

/**
 * Batch norm over NHWC channels. Training uses the batch's statistics and records new running
 * statistics in `updates` (unbiased variance, as PyTorch); evaluation uses the running ones.
 */
export function batchNorm(
  params: NamedTensors,
  buffers: NamedTensors,
  name: string,
  x: tf.Tensor4D,
  training: boolean,
  updates: Record<string, tf.Tensor>,
): tf.Tensor4D {
  const gamma = param(params, `${name}.gamma`) as tf.Tensor1D;
  // tf.batchNorm's gradient needs an offset; every BN here has one.
  const beta = param(params, `${name}.beta`) as tf.Tensor1D;
  const runningMean = param(buffers, `${name}.running_mean`) as tf.Tensor1D;
  const runningVar = param(buffers, `${name}.running_var`) as tf.Tensor1D;
  if (!training) return tf.batchNorm(x, runningMean, runningVar, beta, gamma, BN_EPSILON);

  const { y, mean, variance } = trainingBatchNorm(x, gamma, beta);
  const n = x.size / x.shape[3];
  const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
  updates[`${name}.running_mean`] = tf.add(tf.mul(runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM));
  updates[`${name}.running_var`] = tf.add(tf.mul(runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM));
  return y;
}

/**
 * The normalised batch and its (biased) statistics. A backend with the fused kernels (rewind-native, webgpu)
 * does it, and its gradient, in one kernel call each; elsewhere moments + batchNorm compose it.
 */
function trainingBatchNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): { y: tf.Tensor4D; mean: tf.Tensor; variance: tf.Tensor } {
  if (tf.getKernel(BATCH_NORM_TRAIN_KERNEL, tf.getBackend()) !== undefined) {
    const attrs: BatchNormAttrs = { varianceEpsilon: BN_EPSILON };
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN_KERNEL, { x, scale: gamma, offset: beta }, attrs) as tf.Tensor[];
    return { y: y as tf.Tensor4D, mean: mean!, variance: variance! };
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return { y: tf.batchNorm(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, BN_EPSILON), mean, variance };
}
