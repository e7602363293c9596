import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatasetError, loadDataset, syntheticDataset } from '@rewind/data';
import { tempDir, writeMnistFiles } from './fixtures.ts';

test('the synthetic dataset is deterministic, shaped as declared and class-balanced', () => {
  const a = syntheticDataset();
  const b = syntheticDataset();
  assert.deepEqual(a.train.images, b.train.images);
  assert.deepEqual(a.test.labels, b.test.labels);
  assert.equal(a.train.images.length, a.train.count * 16 * 16 * 3);
  const counts = new Array(a.numClasses).fill(0);
  for (const label of a.train.labels) counts[label]++;
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1);
  const other = syntheticDataset({ seed: 1 });
  assert.notDeepEqual(other.train.images.subarray(0, 100), a.train.images.subarray(0, 100));
});

test('loadDataset caches per process and serves trainSubset as a view of the same data', async () => {
  const dir = await tempDir();
  await writeMnistFiles(dir, 20, true);
  const full = await loadDataset({ name: 'mnist', dir, trainSubset: 0 });
  const again = await loadDataset({ name: 'mnist', dir, trainSubset: 0 });
  assert.equal(again.train.images, full.train.images);
  const subset = await loadDataset({ name: 'mnist', dir, trainSubset: 7 });
  assert.equal(subset.train.count, 7);
  assert.equal(subset.train.images.length, 7 * 784);
  assert.equal(subset.train.images.buffer, full.train.images.buffer);
  assert.equal(subset.test.count, 20);
});

test('loadDataset rejects a trainSubset larger than the training set', async () => {
  await assert.rejects(
    loadDataset({ name: 'synthetic', dir: '', trainSubset: 100_000 }),
    (e: unknown) => e instanceof DatasetError && e.problem === 'invalid_request',
  );
});

test('loadDataset does not cache a failure: data that appears later loads', async () => {
  const dir = await tempDir();
  await assert.rejects(loadDataset({ name: 'mnist', dir, trainSubset: 0 }), DatasetError);
  await writeMnistFiles(dir, 3, false);
  assert.equal((await loadDataset({ name: 'mnist', dir, trainSubset: 0 })).train.count, 3);
});

test('Fashion-MNIST loads from its Debian location with the published sizes', async () => {
  const data = await loadDataset({ name: 'fashion_mnist', dir: '', trainSubset: 0 });
  assert.equal(data.train.count, 60_000);
  assert.equal(data.test.count, 10_000);
  assert.deepEqual(data.inputShape, [28, 28, 1]);
  let sum = 0;
  let squares = 0;
  for (const v of data.test.images) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / data.test.images.length;
  const std = Math.sqrt(squares / data.test.images.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.05, `normalised mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.05, `normalised std ${std}`);
  assert.ok(data.test.labels.every((label) => label < 10));
});
