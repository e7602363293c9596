/**
 * The kernel cases the webgpu tests run: matMul (all transposes, batch broadcast, split inner
 * dimension), conv2d with its two gradients (strides, paddings, a split filter gradient), sums and
 * means over all but the last axis (one, two and three passes; more columns than one grid dimension holds), training batch norm with its
 * gradient, the masked SGD update and the fused loss. Random inputs from a fixed seed, the same on every call of `runAll`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, meanSoftmaxCrossEntropy } from '@rewind/engine';
import { MASKED_SGD_KERNEL } from '@rewind/engine/backend-contract';

export type Case = { readonly name: string; readonly inputs: number[][]; run(...xs: tf.Tensor[]): tf.Tensor[] };

let seed = 1;
export const random = (shape: number[]) => {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed / 2 ** 32) * 2 - 1;
  });
  return { shape, values };
};

const matmul = (m: number, k: number, n: number, ta: boolean, tb: boolean, batch?: [number, number]): Case => ({
  name: `matMul ${m}x${k}x${n} tA=${ta} tB=${tb}${batch ? ` batch ${batch}` : ''}`,
  inputs: [[...(batch ? [batch[0]] : []), ...(ta ? [k, m] : [m, k])], [...(batch ? [batch[1]] : []), ...(tb ? [n, k] : [k, n])]],
  run: (a, b) => [tf.matMul(a!, b!, ta, tb)],
});

/** Forward and both gradients of sum(conv2d(x, W) · upstream). */
const conv = (x: number[], w: number[], stride: number, pad: number | 'same' | 'valid'): Case => ({
  name: `conv2d x=${x} W=${w} stride ${stride} pad ${pad}`,
  inputs: [x, w],
  run: (xt, wt) => {
    const y = tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, stride, pad);
    const upstream = tf.tensor(random(y.shape).values, y.shape);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), upstream)));
    return [y, ...grads([xt!, wt!])];
  },
});

/** Sum or mean over `axes` (Rewind's column sum when they are all but the last). */
const reduce = (shape: number[], axes: number[], mean: boolean, keepDims = false): Case => ({
  name: `${mean ? 'mean' : 'sum'} ${shape} over ${axes}${keepDims ? ' keepDims' : ''}`,
  inputs: [shape],
  run: (x) => [mean ? tf.mean(x!, axes, keepDims) : tf.sum(x!, axes, keepDims)],
});

/** As training reaches them: a bias's gradient (Sum) and batch-norm moments (Mean) over N, H, W. */
const biasAndMoments = (shape: number[]): Case => ({
  name: `bias gradient and moments ${shape}`,
  inputs: [shape, [shape.at(-1)!], shape],
  run: (x, bias, upstream) => {
    const gradient = tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.add(x!, b), upstream!)))(bias!);
    const { mean, variance } = tf.moments(x!, [0, 1, 2]);
    return [gradient, mean, variance];
  },
});

/**
 * The engine's training batch norm (the fused kernels where the backend has them, moments and
 * tfjs's batchNorm on cpu): output, gradients for x, scale and offset, and the running statistics.
 */
const trainingBatchNorm = (shape: number[]): Case => ({
  name: `training batch norm ${shape}`,
  inputs: [shape, [shape.at(-1)!], [shape.at(-1)!], shape],
  run: (x, gamma, beta, upstream) => {
    const c = shape.at(-1)!;
    const buffers = { 'bn.running_mean': tf.zeros([c]), 'bn.running_var': tf.ones([c]) };
    const updates: Record<string, tf.Tensor> = {};
    const params = { 'bn.gamma': tf.add(gamma!, 1.5), 'bn.beta': beta! };
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNorm({ 'bn.gamma': g, 'bn.beta': b }, buffers, 'bn', a as tf.Tensor4D, true, updates), upstream!));
    const { value, grads } = tf.valueAndGrads(f)([tf.mul(x!, 3), params['bn.gamma'], params['bn.beta']]);
    const y = batchNorm(params, buffers, 'bn', tf.mul(x!, 3) as tf.Tensor4D, true, updates);
    return [value, y, ...grads, updates['bn.running_mean']!, updates['bn.running_var']!];
  },
});

const sgd = (shape: number[], masked: boolean): Case => ({
  name: `maskedSgd ${shape}${masked ? ' masked' : ''}`,
  inputs: [shape, shape, shape, shape],
  run: (param, grad, momentum, mask) => {
    const inputs: tf.NamedTensorMap = { param: param!, grad: grad!, momentum: momentum! };
    if (masked) inputs.mask = tf.step(mask!);
    if (tf.getKernel(MASKED_SGD_KERNEL, tf.getBackend())) {
      return tf.engine().runKernel(MASKED_SGD_KERNEL, inputs, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 }) as tf.Tensor[];
    }
    // The reference formula (the cpu backend has no fused kernel).
    const m = inputs.mask ?? tf.onesLike(param!);
    const g = tf.mul(tf.add(grad!, tf.mul(param!, 1e-4)), m);
    const buf = tf.add(tf.mul(momentum!, 0.9), g);
    return [tf.mul(tf.sub(param!, tf.mul(buf, 0.1)), m), buf];
  },
});

/** The mean loss and its gradient with respect to the logits, against soft (non one-hot) labels too. */
const crossEntropy = (rows: number, classes: number): Case => ({
  name: `softmax cross-entropy ${rows}x${classes}`,
  inputs: [[rows, classes], [rows, classes]],
  run: (logits, raw) => {
    const labels = tf.softmax(tf.mul(raw!, 3));
    const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => meanSoftmaxCrossEntropy(labels, tf.mul(x, 4)))([logits!]);
    return [value, ...grads];
  },
});

/** As training calls it: int32 one-hot labels from tf.oneHot. */
const oneHotCrossEntropy = (rows: number, classes: number): Case => ({
  name: `softmax cross-entropy ${rows}x${classes}, int32 one-hot labels`,
  inputs: [[rows, classes]],
  run: (logits) => {
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: rows }, (_, i) => (i * 7) % classes), 'int32'), classes);
    const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => meanSoftmaxCrossEntropy(labels, x))([logits!]);
    return [value, ...grads];
  },
});

export const CASES: Case[] = [
  matmul(5, 7, 3, false, false),
  matmul(70, 33, 130, false, true),
  matmul(70, 33, 130, true, false),
  matmul(65, 17, 66, true, true),
  matmul(9, 12, 11, false, false, [3, 3]),
  matmul(9, 12, 11, true, false, [1, 4]),
  matmul(20, 3000, 30, true, false),
  conv([2, 9, 9, 3], [3, 3, 3, 5], 1, 1),
  conv([2, 10, 10, 4], [3, 3, 4, 6], 2, 1),
  conv([2, 8, 8, 4], [1, 1, 4, 8], 2, 0),
  conv([1, 7, 6, 2], [5, 5, 2, 3], 1, 'valid'),
  conv([1, 7, 7, 2], [3, 3, 2, 3], 2, 'same'),
  conv([16, 16, 16, 8], [3, 3, 8, 16], 1, 1),
  reduce([16, 16, 16, 8], [0, 1, 2], false),
  reduce([300, 70], [0], false),
  reduce([2, 9, 9, 3], [2, 0, 1], true, true),
  reduce([5, 30, 30, 64], [0, 1, 2], false),
  reduce([6, 5, 4], [1], false),
  // More column tiles (of 64) than a grid dimension holds: the last two wrap into z.
  reduce([2, 65537 * 64 - 5], [0], false),
  biasAndMoments([4, 12, 12, 16]),
  trainingBatchNorm([4, 6, 6, 16]),
  trainingBatchNorm([8, 10, 10, 8]),
  sgd([37, 11], true),
  sgd([5], false),
  crossEntropy(7, 10),
  oneHotCrossEntropy(64, 10),
  crossEntropy(300, 3),
];

/** Every case's outputs on the current backend, from the same seeded inputs each call. */
export async function runAll(cases: readonly Case[] = CASES): Promise<Float32Array[][]> {
  seed = 1;
  const results: Float32Array[][] = [];
  for (const c of cases) {
    const outs = tf.tidy(() => c.run(...c.inputs.map((shape) => tf.tensor(random(shape).values, shape))));
    results.push(await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array)));
    tf.dispose(outs);
  }
  return results;
}

