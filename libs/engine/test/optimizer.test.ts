/** Masked SGD: the fused native update against the tfjs-ops formula, PyTorch's semantics, and masks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.ts';
import { type SgdSlot, sgdStep } from '../src/optimizer.ts';

const STEP = { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 };
const SIZE = 257;

function seeded(seed: number): Float32Array {
  const out = new Float32Array(SIZE);
  let s = seed;
  for (let i = 0; i < SIZE; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const maskValues = seeded(7).map((v) => (v > 0 ? 1 : 0));

/** Three steps of masked SGD from fixed data on `backend`; returns param and momentum. */
async function threeSteps(backend: string): Promise<[Float32Array, Float32Array]> {
  await initBackend(backend);
  const mask = tf.tensor1d(maskValues);
  const slot: SgdSlot = {
    param: tf.variable(tf.mul(tf.tensor1d(seeded(1)), mask)),
    momentum: tf.variable(tf.zeros([SIZE])),
    mask,
  };
  for (let step = 0; step < 3; step++) {
    const grad = tf.tensor1d(seeded(10 + step));
    sgdStep([slot], [grad], STEP);
    grad.dispose();
  }
  const out: [Float32Array, Float32Array] = [Float32Array.from(slot.param.dataSync()), Float32Array.from(slot.momentum.dataSync())];
  tf.dispose([slot.param, slot.momentum, mask]);
  return out;
}

describe('sgdStep', () => {
  test('the fused native update matches the tfjs-ops update on cpu', async () => {
    const [cpuParam, cpuBuf] = await threeSteps('cpu');
    const [nativeParam, nativeBuf] = await threeSteps('rewind-native');
    for (let i = 0; i < SIZE; i++) {
      assert.ok(Math.abs(nativeParam[i]! - cpuParam[i]!) < 1e-6, `param ${i}`);
      assert.ok(Math.abs(nativeBuf[i]! - cpuBuf[i]!) < 1e-6, `momentum ${i}`);
    }
  });

  test('pruned weights and their momenta stay exactly zero; kept weights move', async () => {
    for (const backend of ['cpu', 'rewind-native']) {
      const [param, buf] = await threeSteps(backend);
      maskValues.forEach((keep, i) => {
        if (keep === 0) assert.ok(param[i] === 0 && buf[i] === 0, `${backend}: pruned ${i} moved`);
        else assert.notEqual(buf[i], 0, `${backend}: kept ${i} got no momentum`);
      });
    }
  });

  test('follows PyTorch: first step buf = g, then p -= lr * buf', async () => {
    await initBackend('rewind-native');
    const slot: SgdSlot = { param: tf.variable(tf.tensor1d([1, -2])), momentum: tf.variable(tf.zeros([2])) };
    sgdStep([slot], [tf.tensor1d([0.5, 0.25])], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const g = [0.5 + 0.01 * 1, 0.25 + 0.01 * -2];
    const buf = slot.momentum.dataSync();
    const param = slot.param.dataSync();
    assert.ok(Math.abs(buf[0]! - g[0]!) < 1e-7 && Math.abs(buf[1]! - g[1]!) < 1e-7);
    assert.ok(Math.abs(param[0]! - (1 - 0.1 * g[0]!)) < 1e-7 && Math.abs(param[1]! - (-2 - 0.1 * g[1]!)) < 1e-7);
  });

  test('same inputs give bit-identical weights on the same backend', async () => {
    const [a] = await threeSteps('rewind-native');
    const [b] = await threeSteps('rewind-native');
    assert.deepEqual(Buffer.from(a.buffer), Buffer.from(b.buffer));
  });
});
