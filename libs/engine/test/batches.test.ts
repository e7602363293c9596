import assert from 'node:assert/strict';
import { test } from 'node:test';
import { permutation, rngFor } from '@rewind/core';
import { DataOrder, gatherBatch } from '@rewind/engine';

test('each epoch is a seeded permutation cut into full batches', () => {
  const order = new DataOrder(5, 100, 30, 3);
  const epoch1 = permutation(100, rngFor(5, 'order', 1));
  assert.deepEqual([...order.indicesAt(4)], [...epoch1.subarray(30, 60)]);
  const seen = new Set<number>();
  for (let step = 3; step < 6; step++) for (const i of order.indicesAt(step)) seen.add(i);
  assert.equal(seen.size, 90);
});

test('the batch at a step does not depend on which steps were asked before', () => {
  const walked = new DataOrder(9, 50, 8, 6);
  const sequence = Array.from({ length: 20 }, (_, step) => [...walked.indicesAt(step)]);
  const fresh = (step: number) => [...new DataOrder(9, 50, 8, 6).indicesAt(step)];
  for (const step of [0, 5, 6, 13, 19]) assert.deepEqual(sequence[step], fresh(step));
  assert.notDeepEqual(sequence[0], sequence[6]);
  assert.notDeepEqual(fresh(0), [...new DataOrder(10, 50, 8, 6).indicesAt(0)]);
});

test('gatherBatch copies the chosen examples and labels in index order', () => {
  const split = {
    images: Float32Array.from({ length: 12 }, (_, i) => i),
    labels: Uint8Array.of(7, 8, 9),
    count: 3,
  };
  const batch = gatherBatch(split, [2, 0], 4);
  assert.deepEqual([...batch.images], [8, 9, 10, 11, 0, 1, 2, 3]);
  assert.deepEqual([...batch.labels], [9, 7]);
});
