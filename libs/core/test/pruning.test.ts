import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countAlive, fullMask, type Mask, type PruningHparams, prune, randomLike, rngFor, type TensorSet } from '../src/index.ts';

const hp = (over: Partial<PruningHparams> = {}): PruningHparams => ({
  strategy: 'global_magnitude',
  fraction: 0.2,
  rounds: 1,
  excludedLayers: [],
  ...over,
});

function randomWeights(seed: number, shapes: Record<string, number[]>): TensorSet {
  const rng = rngFor(seed, 'weights');
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out[name] = { shape, data: Float32Array.from({ length: n }, () => rng.normal()) };
  }
  return out;
}

const shapes = { 'fc1.kernel': [100, 30], 'fc2.kernel': [30, 10], 'fc2.bias': [10] };
const prunable = ['fc1.kernel', 'fc2.kernel'];

test('each round removes ceil(20%) of the remaining weights, so L rounds leave about 0.8^L', () => {
  const w = randomWeights(1, shapes);
  let mask: Mask | undefined;
  let alive = 3300;
  for (let round = 1; round <= 6; round++) {
    mask = prune(w, mask, hp(), prunable);
    alive -= Math.ceil(0.2 * alive);
    assert.equal(countAlive(mask).alive, alive, `round ${round}`);
  }
  assert.ok(Math.abs(countAlive(mask!).alive / 3300 - 0.8 ** 6) < 0.01);
});

test('global magnitude removes exactly the smallest weights across layers', () => {
  const w = randomWeights(2, shapes);
  const mask = prune(w, undefined, hp(), prunable);
  const all = prunable.flatMap((n) => [...w[n]!.data].map((v, i) => ({ v: Math.abs(v), keep: mask[n]!.data[i]! })));
  const maxPruned = Math.max(...all.filter((x) => x.keep === 0).map((x) => x.v));
  const minKept = Math.min(...all.filter((x) => x.keep === 1).map((x) => x.v));
  assert.ok(maxPruned <= minKept);
  assert.equal(mask['fc2.bias'], undefined, 'biases are never in a mask');
});

test('excluded layers keep every weight; the count comes from the others', () => {
  const w = randomWeights(3, shapes);
  const mask = prune(w, undefined, hp({ excludedLayers: ['fc2.kernel'] }), prunable);
  assert.equal(countAlive({ m: mask['fc2.kernel']! }).alive, 300);
  assert.equal(countAlive({ m: mask['fc1.kernel']! }).alive, 3000 - 600);
  assert.throws(() => prune(w, undefined, hp({ excludedLayers: ['fc9.kernel'] }), prunable), /pruning.exclude: fc9.kernel not a prunable layer of the model; allowed values are fc1.kernel, fc2.kernel/);
});

test('ties at the threshold are broken by layer order, then index, deterministically', () => {
  const w: TensorSet = {
    a: { shape: [4], data: Float32Array.from([1, 1, 1, 1]) },
    b: { shape: [4], data: Float32Array.from([-1, 1, 1, 1]) },
  };
  const mask = prune(w, undefined, hp({ fraction: 0.3 }), ['a', 'b']); // ceil(2.4) = 3 pruned
  assert.deepEqual([...mask.a!.data], [0, 0, 0, 1]);
  assert.deepEqual([...mask.b!.data], [1, 1, 1, 1]);
});

test('already-pruned weights are never counted or selected again', () => {
  const w: TensorSet = { a: { shape: [5], data: Float32Array.from([0, 0, 5, 4, 3]) } };
  const mask0: Mask = { a: { shape: [5], data: Uint8Array.from([0, 0, 1, 1, 1]) } };
  const mask = prune(w, mask0, hp({ fraction: 0.3 }), ['a']);
  assert.deepEqual([...mask.a!.data], [0, 0, 1, 1, 0]);
});

test('layer-wise magnitude prunes the same fraction in every layer', () => {
  const w = randomWeights(4, shapes);
  const mask = prune(w, undefined, hp({ strategy: 'layerwise_magnitude', fraction: 0.5 }), prunable);
  assert.equal(countAlive({ m: mask['fc1.kernel']! }).alive, 1500);
  assert.equal(countAlive({ m: mask['fc2.kernel']! }).alive, 150);
});

test('random pruning keeps the per-layer counts of the reference, at other positions, reproducibly', () => {
  const w = randomWeights(5, shapes);
  const ticket = prune(w, prune(w, undefined, hp(), prunable), hp(), prunable);
  const a = randomLike(ticket, 7);
  const b = randomLike(ticket, 7);
  const c = randomLike(ticket, 8);
  for (const name of prunable) {
    assert.equal(countAlive({ m: a[name]! }).alive, countAlive({ m: ticket[name]! }).alive);
    assert.deepEqual(a[name]!.data, b[name]!.data);
  }
  assert.notDeepEqual(a['fc1.kernel']!.data, ticket['fc1.kernel']!.data);
  assert.notDeepEqual(a['fc1.kernel']!.data, c['fc1.kernel']!.data);
});

test('the same weights give a bit-identical mask', () => {
  const m1 = prune(randomWeights(6, shapes), undefined, hp(), prunable);
  const m2 = prune(randomWeights(6, shapes), undefined, hp(), prunable);
  assert.deepEqual(m1, m2);
});

test('a full mask covers exactly the prunable layers', () => {
  const w = randomWeights(7, shapes);
  assert.deepEqual(Object.keys(fullMask(w, prunable)), prunable);
});
