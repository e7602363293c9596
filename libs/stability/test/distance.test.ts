import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Mask, TensorSet } from '@rewind/core';
import { dataOrderStability, L2_NORMALIZATION, pruningStability, weightDistance } from '@rewind/stability';

const tensor = (...values: number[]) => ({ shape: [values.length], data: Float32Array.from(values) });
const keep = (...bits: number[]) => ({ shape: [bits.length], data: Uint8Array.from(bits) });

const net: TensorSet = { conv: tensor(3, -4, 1), fc: tensor(0.5, 2) };

describe('weightDistance', () => {
  it('is zero between identical networks', () => {
    const d = weightDistance(net, { conv: tensor(3, -4, 1), fc: tensor(0.5, 2) });
    assert.equal(d.total.l2, 0);
    assert.equal(d.total.l2Normalized, 0);
    assert.equal(d.total.weightsCompared, 5);
    assert.deepEqual(Object.keys(d.perLayer), ['conv', 'fc']);
  });

  it('gives the L2 distance and the mean-norm normalisation per layer and in total', () => {
    const a: TensorSet = { w: tensor(3, 4), v: tensor(0, 0) };
    const b: TensorSet = { w: tensor(0, 0), v: tensor(6, 8) };
    const d = weightDistance(a, b);
    assert.equal(d.normalization, L2_NORMALIZATION);
    assert.deepEqual(d.perLayer.w, { l2: 5, l2Normalized: 2, weightsCompared: 2 }); // 5 / ((5+0)/2)
    assert.deepEqual(d.perLayer.v, { l2: 10, l2Normalized: 2, weightsCompared: 2 });
    // Pooled: ‖(3,4,−6,−8)‖ = √125, both norms 5 and 10.
    assert.equal(d.total.l2, Math.sqrt(125));
    assert.equal(d.total.l2Normalized, Math.sqrt(125) / 7.5);
  });

  it('ignores pruned weights, however far apart they are', () => {
    const a: TensorSet = { w: tensor(1, 1000, 2) };
    const b: TensorSet = { w: tensor(1, -1000, 2) };
    const mask: Mask = { w: keep(1, 0, 1) };
    const d = weightDistance(a, b, { mask });
    assert.equal(d.total.l2, 0);
    assert.equal(d.total.weightsCompared, 2);
    assert.equal(weightDistance(a, b).total.l2, 2000);
  });

  it('compares only the layers asked for, defaulting to the mask layers', () => {
    const a: TensorSet = { w: tensor(1, 2), bias: tensor(5) };
    const b: TensorSet = { w: tensor(1, 0), bias: tensor(-5) };
    const mask: Mask = { w: keep(1, 1) };
    assert.deepEqual(Object.keys(weightDistance(a, b, { mask }).perLayer), ['w']);
    assert.equal(weightDistance(a, b, { mask }).total.l2, 2);
    const both = weightDistance(a, b, { mask, layers: ['w', 'bias'] });
    assert.equal(both.perLayer.bias?.l2, 10);
    assert.equal(weightDistance(a, b, { layers: ['bias'] }).total.l2, 10);
  });

  it('accumulates in float64', () => {
    // 10⁶ differences of 1e-4: a float32 running sum of squares ends ~2e-3 off (relative), float64 ~1e-11.
    const n = 1_000_000;
    const a: TensorSet = { w: { shape: [n], data: new Float32Array(n).fill(1e-4) } };
    const b: TensorSet = { w: { shape: [n], data: new Float32Array(n) } };
    const exact = Math.fround(1e-4) * Math.sqrt(n);
    assert.ok(Math.abs(weightDistance(a, b).total.l2 / exact - 1) < 1e-9);
  });

  it('rejects missing layers and mismatched shapes', () => {
    assert.throws(() => weightDistance(net, { conv: tensor(1, 2, 3) }), /"fc" is missing/);
    assert.throws(() => weightDistance(net, { conv: tensor(1, 2), fc: tensor(0, 0) }), /shape/);
    assert.throws(() => weightDistance(net, net, { mask: { conv: keep(1, 0) } }), /mask for layer "conv"/);
  });
});

describe('pruningStability and dataOrderStability', () => {
  const mask: Mask = { w: keep(1, 1, 0) };

  it('measures pruning stability over the subnet weights only', () => {
    const dense: TensorSet = { w: tensor(1, 2, 9) };
    const subnet: TensorSet = { w: tensor(1, 0, 0) };
    const d = pruningStability(dense, subnet, mask);
    assert.equal(d.total.l2, 2);
    assert.equal(d.total.weightsCompared, 2);
  });

  it('averages data-order distances over all pairs of copies', () => {
    const copies: TensorSet[] = [{ w: tensor(0, 0, 0) }, { w: tensor(3, 4, 0) }, { w: tensor(0, 8, 7) }];
    const d = dataOrderStability(copies, mask);
    assert.deepEqual(
      d.pairs.map((p) => [p.first, p.second, p.distance.total.l2]),
      [
        [0, 1, 5],
        [0, 2, 8],
        [1, 2, 5],
      ],
    );
    assert.equal(d.total.l2, 6);
    assert.equal(d.perLayer.w?.l2, 6);
    assert.equal(d.total.weightsCompared, 2);
    // Pairs (0,1) and (0,2) have one zero norm, so 5/2.5 and 8/4; pair (1,2): 5/6.5.
    assert.equal(d.total.l2Normalized, (2 + 2 + 5 / 6.5) / 3);
  });

  it('is symmetric in the copies and needs at least two', () => {
    const a: TensorSet = { w: tensor(1, 2, 3) };
    const b: TensorSet = { w: tensor(-2, 5, 3) };
    assert.deepEqual(dataOrderStability([a, b], mask).total, dataOrderStability([b, a], mask).total);
    assert.throws(() => dataOrderStability([a], mask), /at least 2/);
  });
});
