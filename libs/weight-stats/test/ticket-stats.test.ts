import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Mask, TensorSet } from '@rewind/core';
import { ticketStats } from '@rewind/weight-stats';

const tensor = (...values: number[]) => ({ shape: [values.length], data: Float32Array.from(values) });
const keep = (...bits: number[]) => ({ shape: [bits.length], data: Uint8Array.from(bits) });

describe('ticketStats', () => {
  it('counts surviving weights and sign flips per layer and in total', () => {
    const mask: Mask = { a: keep(1, 1, 0, 1), b: keep(0, 1) };
    const rewind: TensorSet = { a: tensor(1, -2, 3, 4), b: tensor(-1, 0.5), bias: tensor(9) };
    // a: index 0 keeps its sign, 1 flips, 2 is pruned (its flip is ignored), 3 flips. b: index 1 flips.
    const final: TensorSet = { a: tensor(0.5, 2, -3, -4), b: tensor(1, -0.5), bias: tensor(-9) };
    const s = ticketStats(mask, rewind, final);
    assert.deepEqual(Object.keys(s.perLayer), ['a', 'b'], 'only the mask\'s layers');
    assert.deepEqual(s.perLayer.a, { weights: 4, surviving: 3, sparsity: 0.25, signFlips: 2, signFlipFraction: 2 / 3 });
    assert.deepEqual(s.perLayer.b, { weights: 2, surviving: 1, sparsity: 0.5, signFlips: 1, signFlipFraction: 1 });
    assert.deepEqual(s.total, { weights: 6, surviving: 4, sparsity: 1 - 4 / 6, signFlips: 3, signFlipFraction: 0.75 });
  });

  it('counts reaching or leaving exactly zero as a flip', () => {
    const s = ticketStats({ a: keep(1, 1, 1) }, { a: tensor(1, 0, 0) }, { a: tensor(0, 2, 0) });
    assert.equal(s.total.signFlips, 2);
  });

  it('reports an unpruned layer as 0 sparsity and an empty one without dividing by zero', () => {
    const s = ticketStats({ full: keep(1, 1), gone: keep(0, 0) }, { full: tensor(1, 1), gone: tensor(1, 1) }, { full: tensor(1, 1), gone: tensor(-1, -1) });
    assert.equal(s.perLayer.full!.sparsity, 0);
    assert.deepEqual(s.perLayer.gone, { weights: 2, surviving: 0, sparsity: 1, signFlips: 0, signFlipFraction: 0 });
  });

  it('matches 20% global pruning: 80% of the weights survive', () => {
    const n = 1000;
    const bits = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 1));
    const w = tensor(...Array.from({ length: n }, (_, i) => i + 1));
    const s = ticketStats({ w: keep(...bits) }, { w }, { w });
    assert.equal(s.total.surviving, 800);
    assert.ok(Math.abs(s.total.sparsity - 0.2) < 1e-12);
    assert.equal(s.total.signFlips, 0);
  });

  it('names the layer when the weights do not fit the mask', () => {
    assert.throws(() => ticketStats({ a: keep(1) }, {}, { a: tensor(1) }), /"a" is missing from the rewind weights/);
    assert.throws(() => ticketStats({ a: keep(1) }, { a: tensor(1) }, { a: tensor(1, 2) }), /"a" has 1 entries, the final weights 2/);
  });
});
