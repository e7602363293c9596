import assert from 'node:assert/strict';
import { test } from 'node:test';
import { augmentBatch, cropFlip, cropFlipsAt } from '../src/augment.ts';

// A 3x3 image with 2 channels: channel 0 holds 1..9 row by row, channel 1 ten times that.
const SHAPE = [3, 3, 2] as const;
const IMAGE = Float32Array.from({ length: 18 }, (_, i) => (Math.floor(i / 2) + 1) * (i % 2 === 0 ? 1 : 10));
const RECIPE = { padding: 1, fill: Float32Array.of(-1, -2) };

function channels(top: number, left: number, flip: boolean): [number[], number[]] {
  const out = new Float32Array(18);
  cropFlip(IMAGE, out, SHAPE, RECIPE, { top, left, flip });
  return [[...out].filter((_, i) => i % 2 === 0), [...out].filter((_, i) => i % 2 === 1)];
}

test('the centred crop is the image itself, and a flip reverses the columns', () => {
  assert.deepEqual(channels(1, 1, false)[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(channels(1, 1, true), [
    [3, 2, 1, 6, 5, 4, 9, 8, 7],
    [30, 20, 10, 60, 50, 40, 90, 80, 70],
  ]);
});

test('a crop at (0, 0) shifts the content down and right by the padding, filled per channel', () => {
  assert.deepEqual(channels(0, 0, false), [
    [-1, -1, -1, -1, 1, 2, -1, 4, 5],
    [-2, -2, -2, -2, 10, 20, -2, 40, 50],
  ]);
  // Flip first, then crop at the far corner: the flipped image moves up and left.
  assert.deepEqual(channels(2, 2, true)[0], [5, 4, -1, 8, 7, -1, -1, -1, -1]);
});

test('crops and flips are a pure function of (seed, step, position) and cover the whole range', () => {
  assert.deepEqual(cropFlipsAt(7, 3, 8, 4), cropFlipsAt(7, 3, 8, 4));
  assert.deepEqual(cropFlipsAt(7, 3, 8, 4).slice(0, 3), cropFlipsAt(7, 3, 3, 4), 'a position does not depend on the batch size');
  assert.notDeepEqual(cropFlipsAt(7, 3, 8, 4), cropFlipsAt(7, 4, 8, 4));
  assert.notDeepEqual(cropFlipsAt(7, 3, 8, 4), cropFlipsAt(8, 3, 8, 4));
  const draws = Array.from({ length: 100 }, (_, step) => cropFlipsAt(0, step, 8, 4)).flat();
  assert.deepEqual([...new Set(draws.map((d) => d.top))].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...new Set(draws.map((d) => d.left))].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...new Set(draws.map((d) => d.flip))].sort(), [false, true]);
});

test('augmentBatch crops each example with its own draw and leaves the input batch alone', () => {
  const batch = { images: Float32Array.of(...IMAGE, ...IMAGE.map((v) => -v)), labels: Int32Array.of(4, 2) };
  const before = batch.images.slice();
  const out = augmentBatch(batch, SHAPE, RECIPE, 5, 11);
  assert.deepEqual(batch.images, before);
  assert.deepEqual(out.labels, batch.labels);
  cropFlipsAt(5, 11, 2, 1).forEach((draw, i) => {
    const expected = new Float32Array(18);
    cropFlip(batch.images.subarray(i * 18, (i + 1) * 18), expected, SHAPE, RECIPE, draw);
    assert.deepEqual(out.images.subarray(i * 18, (i + 1) * 18), expected);
  });
  assert.deepEqual(augmentBatch(batch, SHAPE, RECIPE, 5, 11), out);
  assert.notDeepEqual(augmentBatch(batch, SHAPE, RECIPE, 5, 12).images, out.images);
});
