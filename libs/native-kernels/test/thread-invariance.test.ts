/**
 * The native kernels give the same bits at any thread count: a run resumed with another REWIND_THREADS,
 * or on a machine with more cores, continues exactly the numerics it started with.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { type ConvShapeArgs, loadNativeAddon, type NativeAddon } from '../src/index.ts';
import { values } from './values.ts';

let addon: NativeAddon;

before(() => {
  const load = loadNativeAddon();
  assert.ok('addon' in load, 'error' in load ? load.error : '');
  addon = load.addon;
});

/** Runs `compute` at 1, 2, 3 and 5 threads and asserts every output is byte-equal to the 1-thread one. */
function assertThreadInvariant(what: string, compute: () => Float32Array): void {
  const outputs = [1, 2, 3, 5].map((threads) => {
    addon.setThreads(threads);
    return { threads, bytes: Buffer.from(compute().buffer) };
  });
  const [single, ...others] = outputs;
  for (const other of others) {
    assert.ok(other.bytes.equals(single!.bytes), `${what}: ${other.threads} threads differ from 1 thread`);
  }
}

test('matmul and the dense layer do not depend on the thread count', () => {
  const [m, n, k] = [300, 257, 1000];
  const a = values(m * k, 1);
  const b = values(k * n, 2);
  for (const [transA, transB] of [
    [false, false],
    [true, false],
    [false, true],
  ] as const) {
    assertThreadInvariant(`matmul transA=${transA} transB=${transB}`, () => {
      const out = new Float32Array(m * n);
      addon.matmul(a, b, out, 1, m, n, k, transA, transB, 0, 0);
      return out;
    });
  }
  const bias = values(n, 3);
  assertThreadInvariant('dense forward with bias and relu', () => {
    const out = new Float32Array(m * n);
    addon.denseForward(a, b, bias, out, m, n, k, false, false, true);
    return out;
  });
  assertThreadInvariant('batched matmul', () => {
    const out = new Float32Array(3 * 64 * n);
    addon.matmul(a, b, out, 3, 64, n, k, false, false, 64 * k, 0);
    return out;
  });
});

// [n, h, w, c, kh, kw, oc]: a ResNet-like 3×3 layer (60 images: 8 chunks, the last one short) and Conv-2's
// first layer, whose filter gradient oneDNN itself would split over the images.
const CONV_CASES = [
  [60, 14, 14, 16, 3, 3, 32],
  [60, 28, 28, 1, 3, 3, 64],
] as const;

for (const [n, h, w, c, kh, kw, oc] of CONV_CASES) {
  test(`${h}×${w}×${c} → ${oc} convolutions and their gradients do not depend on the thread count`, () => {
    const shape: ConvShapeArgs = [n, h, w, c, kh, kw, oc, h, w, 1, 1, 1, 1, 1, 1, 1, 1];
    const x = values(n * h * w * c, 4);
    const filter = values(kh * kw * c * oc, 5);
    const bias = values(oc, 6);
    const dy = values(n * h * w * oc, 7);
    assertThreadInvariant('conv2d with bias and relu', () => {
      const y = new Float32Array(n * h * w * oc);
      addon.conv2d(x, filter, bias, y, ...shape, true);
      return y;
    });
    assertThreadInvariant('conv2d backprop input', () => {
      const dx = new Float32Array(x.length);
      addon.conv2dBackpropInput(dy, filter, dx, ...shape);
      return dx;
    });
    assertThreadInvariant('conv2d backprop filter', () => {
      const dFilter = new Float32Array(filter.length);
      addon.conv2dBackpropFilter(x, dy, dFilter, ...shape);
      return dFilter;
    });
  });
}
