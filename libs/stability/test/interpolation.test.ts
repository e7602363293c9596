import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TensorSet } from '@rewind/core';
import { alphaGrid, DEFAULT_ALPHA_POINTS, interpolate, interpolateNetwork } from '@rewind/stability';

const tensor = (...values: number[]) => ({ shape: [values.length], data: Float32Array.from(values) });
const bits = (set: TensorSet) => Object.values(set).map((t) => [...new Uint32Array(t.data.buffer)]);

describe('alphaGrid', () => {
  it('spaces n points evenly from exactly 0 to exactly 1', () => {
    assert.deepEqual(alphaGrid(2), [0, 1]);
    assert.deepEqual(alphaGrid(5), [0, 0.25, 0.5, 0.75, 1]);
    const grid = alphaGrid();
    assert.equal(grid.length, DEFAULT_ALPHA_POINTS);
    assert.ok(DEFAULT_ALPHA_POINTS >= 30);
    assert.equal(grid[0], 0);
    assert.equal(grid.at(-1), 1);
    for (let i = 1; i < grid.length; i++) assert.ok(Math.abs(grid[i]! - grid[i - 1]! - 1 / 29) < 1e-12);
  });

  it('rejects fewer than two points', () => {
    assert.throws(() => alphaGrid(1), /n >= 2/);
    assert.throws(() => alphaGrid(2.5), /integer/);
  });
});

describe('interpolate', () => {
  // Values whose naive (1−α)x + αy would not round-trip: −0, ∞, NaN, subnormals.
  const first: TensorSet = { w: tensor(-0, 1.1, 3e-45, Number.NaN), b: tensor(7) };
  const second: TensorSet = { w: tensor(2, Number.POSITIVE_INFINITY, -5, 0.3), b: tensor(-0) };

  it('reproduces the endpoints bit for bit', () => {
    assert.deepEqual(bits(interpolate(first, second, 0)), bits(first));
    assert.deepEqual(bits(interpolate(first, second, 1)), bits(second));
    assert.deepEqual(Object.keys(interpolate(first, second, 1)), ['w', 'b']);
  });

  it('returns fresh tensors, not the inputs', () => {
    const start = interpolate(first, second, 0);
    assert.notEqual(start.w?.data, first.w?.data);
  });

  it('mixes (1−α)·first + α·second', () => {
    const mid = interpolate({ w: tensor(0, 10, -4) }, { w: tensor(4, 20, 4) }, 0.25);
    assert.deepEqual([...mid.w!.data], [1, 12.5, -2]);
    assert.deepEqual(mid.w!.shape, [3]);
  });

  it('keeps pruned weights at zero everywhere on the path', () => {
    const mask = { w: { shape: [3], data: Uint8Array.from([1, 0, 1]) } };
    // The pruned position is non-zero in the inputs on purpose: the mask, not the inputs, decides.
    const path = alphaGrid(7).map((alpha) => interpolate({ w: tensor(1, 5, 3) }, { w: tensor(3, 9, 1) }, alpha, mask));
    for (const point of path) assert.equal(point.w!.data[1], 0);
    assert.deepEqual([...path[3]!.w!.data], [2, 0, 2]);
  });

  it('interpolates buffers with the parameters, masking only parameters', () => {
    const mask = { w: { shape: [2], data: Uint8Array.from([0, 1]) } };
    const a = { params: { w: tensor(2, 2) }, buffers: { w: tensor(2, 2) } };
    const b = { params: { w: tensor(4, 4) }, buffers: { w: tensor(4, 4) } };
    const mid = interpolateNetwork(a, b, 0.5, mask);
    assert.deepEqual([...mid.params.w!.data], [0, 3]);
    assert.deepEqual([...mid.buffers.w!.data], [3, 3]);
  });

  it('rejects sets that do not line up', () => {
    assert.throws(() => interpolate({ w: tensor(1) }, { v: tensor(1) }, 0.5), /only in the second set: v/);
    assert.throws(() => interpolate({ w: tensor(1), v: tensor(1) }, { w: tensor(1) }, 0.5), /"v" is missing/);
    assert.throws(() => interpolate({ w: tensor(1) }, { w: tensor(1, 2) }, 0.5), /shape/);
    assert.throws(() => interpolate({ w: tensor(1) }, { w: tensor(1) }, Number.NaN), /finite/);
  });
});
