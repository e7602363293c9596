/**
 * The native kernels against tfjs' own cpu backend (the reference), through the public tfjs ops so
 * the gradients exercise Conv2DBackpropInput/Filter, MaxPoolGrad and the batch-norm gradient kernel
 * exactly as training does.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node build ships no gradients; the union package's bundle registers them all.
import '@tensorflow/tfjs';
import { BATCH_NORM_TRAIN_KERNEL, MASKED_SGD_KERNEL } from '@rewind/engine/backend-contract';
import { loadNativeAddon, NATIVE_BACKEND_NAME, registerNativeBackend } from '../src/index.ts';
import { values } from './values.ts';

type Compute = () => tf.Tensor | tf.Tensor[];

async function runOn(backend: string, compute: Compute): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const result = compute();
    return (Array.isArray(result) ? result : [result]).map((t) => Float32Array.from(t.dataSync()));
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    worst = Math.max(worst, diff);
  }
  assert.ok(worst < 1e-4, `${what}: worst relative difference ${worst}`);
}

async function assertMatchesCpu(compute: Compute, what: string): Promise<void> {
  const expected = await runOn('cpu', compute);
  const actual = await runOn(NATIVE_BACKEND_NAME, compute);
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    assertClose(a, expected[i]!, `${what} output ${i}`);
  });
}

before(() => {
  const load = loadNativeAddon();
  assert.ok('addon' in load, 'error' in load ? load.error : '');
  registerNativeBackend(load.addon, 2);
});

describe('matmul', () => {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      test(`transposeA=${transposeA} transposeB=${transposeB}, plain and batched`, async () => {
        const [m, k, n] = [7, 13, 5];
        const aShape = transposeA ? [k, m] : [m, k];
        const bShape = transposeB ? [n, k] : [k, n];
        await assertMatchesCpu(() => tf.matMul(tf.tensor(values(m * k, 1), aShape), tf.tensor(values(k * n, 2), bShape), transposeA, transposeB), 'matMul');
        await assertMatchesCpu(
          () => tf.matMul(tf.tensor(values(3 * m * k, 3), [3, ...aShape]), tf.tensor(values(3 * k * n, 4), [3, ...bShape]), transposeA, transposeB),
          'batched matMul',
        );
        await assertMatchesCpu(
          () => tf.matMul(tf.tensor(values(3 * m * k, 5), [3, ...aShape]), tf.tensor(values(k * n, 6), [1, ...bShape]), transposeA, transposeB),
          'broadcast matMul',
        );
      });
    }
  }

  test('fused matmul with bias and relu, and its gradients', async () => {
    const a = () => tf.tensor(values(60 * 31, 7), [60, 31]);
    const b = () => tf.tensor(values(31 * 17, 8), [31, 17]);
    const bias = () => tf.tensor(values(17, 9), [17]);
    await assertMatchesCpu(() => tf.fused.matMul({ a: a(), b: b(), bias: bias(), activation: 'relu' }), 'fused matMul');
    await assertMatchesCpu(
      () => tf.grads((x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: c, activation: 'relu' }))))([a(), b(), bias()]),
      'fused matMul gradients',
    );
  });
});

describe('conv2d', () => {
  const cases: readonly { name: string; pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding; stride: number; k: number; h: number }[] = [
    { name: 'same, stride 1', pad: 'same', stride: 1, k: 3, h: 9 },
    { name: 'valid, stride 1', pad: 'valid', stride: 1, k: 3, h: 9 },
    { name: 'same, stride 2', pad: 'same', stride: 2, k: 3, h: 9 },
    { name: 'valid, stride 2', pad: 'valid', stride: 2, k: 3, h: 10 },
    { name: '1x1, stride 2 (ResNet shortcut)', pad: 'same', stride: 2, k: 1, h: 8 },
    // Strided 1x1 filter gradients take their own path (see stridedPointwiseFilterGradient): padding too.
    { name: '1x1, stride 2, explicit padding', pad: [[0, 0], [1, 0], [0, 1], [0, 0]], stride: 2, k: 1, h: 9 },
  ];
  for (const c of cases) {
    test(`forward and both backprops: ${c.name}`, async () => {
      const [n, cin, cout] = [4, 3, 8];
      const x = () => tf.tensor4d(values(n * c.h * c.h * cin, 11), [n, c.h, c.h, cin]);
      const w = () => tf.tensor4d(values(c.k * c.k * cin * cout, 12), [c.k, c.k, cin, cout]);
      await assertMatchesCpu(() => tf.conv2d(x(), w(), c.stride, c.pad), 'conv2d');
      await assertMatchesCpu(
        () => tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, c.stride, c.pad))))([x(), w()]),
        'conv2d backprops',
      );
    });
  }

  test('fused conv2d with bias and relu, and its gradients', async () => {
    const x = () => tf.tensor4d(values(2 * 8 * 8 * 4, 13), [2, 8, 8, 4]);
    const w = () => tf.tensor4d(values(3 * 3 * 4 * 6, 14), [3, 3, 4, 6]);
    const bias = () => tf.tensor1d(values(6, 15));
    const fused = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      tf.fused.conv2d({ x: xi as tf.Tensor4D, filter: wi as tf.Tensor4D, strides: 1, pad: 'same', bias: bi, activation: 'relu' });
    await assertMatchesCpu(() => fused(x(), w(), bias()), 'fused conv2d');
    await assertMatchesCpu(() => tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.square(fused(xi, wi, bi))))([x(), w(), bias()]), 'fused conv2d gradients');
  });
});

describe('maxPool', () => {
  for (const c of [
    { size: 2, stride: 2, pad: 'valid' },
    { size: 3, stride: 2, pad: 'same' },
  ] as const) {
    test(`forward and gradient, ${c.size}x${c.size} stride ${c.stride} ${c.pad}, with ReLU ties`, async () => {
      // relu makes many window entries exactly 0: the gradient must go to the same tied input as on cpu.
      const x = () => tf.relu(tf.tensor4d(values(3 * 9 * 9 * 5, 16), [3, 9, 9, 5]));
      await assertMatchesCpu(() => tf.maxPool(x(), c.size, c.stride, c.pad), 'maxPool');
      await assertMatchesCpu(() => tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xi as tf.Tensor4D, c.size, c.stride, c.pad), tf.tensor1d([1, 2, 3, 4, 5]))))(x()), 'maxPool gradient');
    });
  }
});

describe('elementwise', () => {
  const x = () => tf.tensor4d(values(2 * 5 * 5 * 7, 40), [2, 5, 5, 7]);
  test('add and multiply: same shape, trailing-vector broadcast (either side), and general broadcast', async () => {
    for (const op of [tf.add, tf.mul]) {
      await assertMatchesCpu(() => op(x(), tf.tensor4d(values(2 * 5 * 5 * 7, 41), [2, 5, 5, 7])), `${op.name} same shape`);
      await assertMatchesCpu(() => op(x(), tf.tensor1d(values(7, 42))), `${op.name} bias`);
      await assertMatchesCpu(() => op(tf.tensor2d(values(7, 43), [1, 7]), x()), `${op.name} bias first`);
      await assertMatchesCpu(() => op(x(), tf.tensor4d(values(5, 44), [1, 5, 1, 1])), `${op.name} general broadcast`);
    }
  });

  test('relu and its gradient (step), including exact zeros', async () => {
    const withZeros = () => tf.relu(tf.sub(x(), 0.2));
    await assertMatchesCpu(() => tf.relu(x()), 'relu');
    await assertMatchesCpu(() => tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.relu(xi), xi)))(withZeros()), 'relu gradient');
    await assertMatchesCpu(() => tf.step(withZeros(), 0.5), 'step with alpha');
  });

  test('sub and div: same shape, broadcast second operand, and broadcast first operand (cpu fallback)', async () => {
    for (const op of [tf.sub, tf.div]) {
      await assertMatchesCpu(() => op(x(), tf.add(tf.tensor4d(values(2 * 5 * 5 * 7, 45), [2, 5, 5, 7]), 2)), `${op.name} same shape`);
      await assertMatchesCpu(() => op(x(), tf.scalar(3)), `${op.name} scalar`);
      await assertMatchesCpu(() => op(x(), tf.add(tf.tensor4d(values(2 * 7, 46), [2, 1, 1, 7]), 2)), `${op.name} per sample and channel`);
      await assertMatchesCpu(() => op(tf.tensor1d(values(7, 47)), x()), `${op.name} broadcast first`);
    }
  });

  test('add and multiply broadcast over middle axes (global pooling gradients) or several runs (fallback)', async () => {
    for (const op of [tf.add, tf.mul]) {
      await assertMatchesCpu(() => op(tf.tensor4d(values(2 * 7, 48), [2, 1, 1, 7]), x()), `${op.name} [n,1,1,c]`);
      await assertMatchesCpu(() => op(x(), tf.tensor4d(values(5 * 7, 49), [1, 5, 1, 7])), `${op.name} two runs`);
    }
  });

  test('mean over contiguous axes (global average pooling) and its gradient; non-contiguous falls back', async () => {
    await assertMatchesCpu(() => tf.mean(x(), [1, 2]), 'mean [1,2]');
    await assertMatchesCpu(() => tf.mean(x(), [0, 1, 2], true), 'mean [0,1,2] keepDims');
    await assertMatchesCpu(() => tf.mean(x()), 'mean all');
    await assertMatchesCpu(() => tf.mean(x(), [0, 2]), 'mean [0,2]');
    await assertMatchesCpu(() => tf.grad((xi: tf.Tensor) => tf.sum(tf.square(tf.mean(xi, [1, 2]))))(x()), 'mean gradient');
  });

  test('float32 tensors cast from int32 or bool (still integer storage on cpu) take the fallback', async () => {
    const hits = () => tf.cast(tf.greater(x(), 0), 'float32');
    const counts = () => tf.cast(tf.tensor1d([1, 2, 3, 4, 5, 6, 7], 'int32'), 'float32');
    await assertMatchesCpu(() => [tf.sum(hits()), tf.mean(hits(), [1, 2]), tf.add(x(), counts()), tf.mul(hits(), x()), tf.relu(counts())], 'cast inputs');
  });

  test('sum over leading axes (bias gradients), and other reductions', async () => {
    await assertMatchesCpu(() => tf.sum(x(), [0, 1, 2]), 'sum [0,1,2]');
    await assertMatchesCpu(() => tf.sum(x(), [0], true), 'sum [0] keepDims');
    await assertMatchesCpu(() => tf.sum(x(), [1, 2]), 'sum [1,2]');
    await assertMatchesCpu(() => tf.sum(x()), 'sum all');
  });
});

describe('batch norm', () => {
  // 16384 rows: many 512-row blocks, and above the size where the loops go parallel.
  const shape = [16, 32, 32, 8] as const;
  const channels = shape[3];
  const epsilon = 1e-5;
  // Channel 0 sits far from zero with a small spread, where one-pass moments would lose precision.
  const x = () => tf.add(tf.tensor4d(values(16 * 32 * 32 * 8, 50), [...shape]), tf.tensor1d([100, 0, -3, 0, 0, 1, 0, 0]));
  const scale = () => tf.tensor1d(values(channels, 51).map((v) => v + 1.5));
  const offset = () => tf.tensor1d(values(channels, 52));
  const weights = () => tf.tensor4d(values(16 * 32 * 32 * 8, 53), [...shape]);

  /** Training-mode batch norm as the engine does it: the fused kernel where registered, else moments + batchNorm. */
  function train(xi: tf.Tensor, s: tf.Tensor, o: tf.Tensor): tf.Tensor[] {
    if (tf.getKernel(BATCH_NORM_TRAIN_KERNEL, tf.getBackend())) {
      return tf.engine().runKernel(BATCH_NORM_TRAIN_KERNEL, { x: xi, scale: s, offset: o }, { varianceEpsilon: epsilon }) as tf.Tensor[];
    }
    const { mean, variance } = tf.moments(xi, [0, 1, 2]);
    return [tf.batchNorm(xi as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, epsilon), mean, variance];
  }
  // A weighted sum, so each element of y gets a different gradient.
  const gradients = () => tf.grads((xi: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(train(xi, s, o)[0]!, weights())))([x(), scale(), offset()]);

  test('training forward (output, mean, biased variance) matches moments + batchNorm on cpu', async () => {
    await assertMatchesCpu(() => train(x(), scale(), offset()), 'batch norm train');
  });

  test('gradients for x, scale and offset match the cpu composite', async () => {
    await assertMatchesCpu(gradients, 'batch norm gradients');
  });

  test('inference with given statistics matches cpu FusedBatchNorm', async () => {
    const mean = () => tf.tensor1d(values(channels, 54));
    const variance = () => tf.tensor1d(values(channels, 55).map((v) => v + 1.5));
    await assertMatchesCpu(() => tf.batchNorm(x(), mean(), variance(), offset(), scale(), epsilon), 'batch norm inference');
  });

  test('bit-identical on repeat and at 1 and 2 threads', async () => {
    const load = loadNativeAddon();
    assert.ok('addon' in load);
    const compute = () => [...train(x(), scale(), offset()), ...gradients()];
    const first = await runOn(NATIVE_BACKEND_NAME, compute);
    const again = await runOn(NATIVE_BACKEND_NAME, compute);
    load.addon.setThreads(1);
    const single = await runOn(NATIVE_BACKEND_NAME, compute);
    load.addon.setThreads(2);
    first.forEach((v, i) => {
      assert.deepEqual(Buffer.from(v.buffer), Buffer.from(again[i]!.buffer), `output ${i} on repeat`);
      assert.deepEqual(Buffer.from(v.buffer), Buffer.from(single[i]!.buffer), `output ${i} at 1 thread`);
    });
  });
});

describe('masked SGD', () => {
  const size = 1000;
  const mask = () => tf.tensor1d(values(size, 20).map((v) => (v > 0 ? 1 : 0)));
  const attrs = { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 };

  test('matches the reference formula, and pruned weights and momenta stay exactly zero', async () => {
    const param = () => tf.mul(tf.tensor1d(values(size, 21)), mask());
    const grad = () => tf.tensor1d(values(size, 22));
    const buf = () => tf.mul(tf.tensor1d(values(size, 23)), mask());
    const reference = await runOn('cpu', () => {
      const g = tf.mul(tf.add(grad(), tf.mul(param(), attrs.weightDecay)), mask());
      const b = tf.add(tf.mul(buf(), attrs.momentum), g);
      return [tf.mul(tf.sub(param(), tf.mul(b, attrs.lr)), mask()), b];
    });
    const [nextParam, nextBuf] = await runOn(NATIVE_BACKEND_NAME, () =>
      tf.engine().runKernel(MASKED_SGD_KERNEL, { param: param(), grad: grad(), momentum: buf(), mask: mask() }, attrs) as tf.Tensor[],
    );
    assertClose(nextParam!, reference[0]!, 'param');
    assertClose(nextBuf!, reference[1]!, 'momentum');
    const m = (await runOn('cpu', mask))[0]!;
    m.forEach((keep, i) => {
      if (keep === 0) {
        // ±0 both count: the multiply by a 0 mask keeps the sign, as the tfjs-ops formula does.
        assert.ok(nextParam![i] === 0 && nextBuf![i] === 0, `pruned entry ${i} moved`);
      }
    });
  });
});

describe('determinism', () => {
  test('the same inputs give bit-identical outputs on the native backend', async () => {
    const compute = () => {
      const x = tf.tensor4d(values(8 * 12 * 12 * 3, 30), [8, 12, 12, 3]);
      const w = tf.tensor4d(values(3 * 3 * 3 * 16, 31), [3, 3, 3, 16]);
      const d = tf.tensor2d(values(6 * 6 * 16 * 10, 32), [6 * 6 * 16, 10]);
      return tf.grads((xi: tf.Tensor, wi: tf.Tensor, di: tf.Tensor) =>
        tf.sum(tf.square(tf.matMul(tf.reshape(tf.maxPool(tf.relu(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same')), 2, 2, 'valid'), [8, -1]), di as tf.Tensor2D))),
      )([x, w, d]);
    };
    const first = await runOn(NATIVE_BACKEND_NAME, compute);
    const second = await runOn(NATIVE_BACKEND_NAME, compute);
    first.forEach((values, i) => {
      assert.deepEqual(Buffer.from(values.buffer), Buffer.from(second[i]!.buffer));
    });
  });
});
