import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatasetError, loadMnist, parseIdx } from '@rewind/data';
import { idxBytes, tempDir, writeMnistFiles } from './fixtures.ts';

test('parseIdx reads big-endian dimensions and the data after the header', () => {
  const idx = parseIdx(idxBytes([2, 3], Uint8Array.of(1, 2, 3, 4, 5, 6)), 'x', 'hint');
  assert.deepEqual(idx.dims, [2, 3]);
  assert.deepEqual([...idx.data], [1, 2, 3, 4, 5, 6]);
});

test('parseIdx rejects a bad magic number, a non-byte type and a length that disagrees with the dims', () => {
  const good = idxBytes([2, 2], Uint8Array.of(1, 2, 3, 4));
  const badMagic = good.slice();
  badMagic[0] = 7;
  const badType = good.slice();
  badType[2] = 0x0d;
  for (const bytes of [badMagic, badType, good.subarray(0, good.length - 1), Uint8Array.of(0, 0)]) {
    assert.throws(() => parseIdx(bytes, '/data/f', 'hint'), (e) => e instanceof DatasetError && e.problem === 'malformed');
  }
});

for (const gzip of [true, false]) {
  test(`loadMnist reads ${gzip ? 'gzipped' : 'raw'} IDX files and normalises pixels`, async () => {
    const dir = await tempDir();
    await writeMnistFiles(dir, 12, gzip);
    const data = await loadMnist('mnist', dir);
    assert.deepEqual(data.inputShape, [28, 28, 1]);
    assert.equal(data.numClasses, 10);
    assert.equal(data.train.count, 12);
    assert.equal(data.test.count, 12);
    assert.equal(data.train.images.length, 12 * 784);
    assert.deepEqual([...data.train.labels.subarray(0, 11)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
    // Image 5 is all 5s: (5/255 - 0.1307) / 0.3081.
    assert.ok(Math.abs(data.train.images[5 * 784 + 100]! - (5 / 255 - 0.1307) / 0.3081) < 1e-6);
  });
}

test('a missing MNIST directory is a DatasetError naming the path and how to get the data', async () => {
  const dir = join(await tempDir(), 'nowhere');
  await assert.rejects(loadMnist('fashion_mnist', dir), (e: unknown) => {
    assert.ok(e instanceof DatasetError);
    assert.equal(e.problem, 'missing');
    assert.match(e.message, /nowhere/);
    assert.match(e.message, /apt-get install dataset-fashion-mnist/);
    return true;
  });
});

test('labels that do not match the image count are reported as malformed', async () => {
  const dir = await tempDir();
  await mkdir(dir, { recursive: true });
  await writeMnistFiles(dir, 4, false);
  await writeFile(join(dir, 'train-labels-idx1-ubyte'), idxBytes([3], Uint8Array.of(0, 1, 2)));
  await assert.rejects(loadMnist('mnist', dir), (e: unknown) => {
    assert.ok(e instanceof DatasetError);
    assert.equal(e.problem, 'malformed');
    assert.match(e.message, /train-labels-idx1-ubyte/);
    return true;
  });
});

test('a truncated gzip file is malformed, not a crash', async () => {
  const dir = await tempDir();
  await writeMnistFiles(dir, 4, true);
  const path = join(dir, 'train-images-idx3-ubyte.gz');
  await writeFile(path, Uint8Array.of(0x1f, 0x8b, 8, 0, 0));
  await assert.rejects(loadMnist('mnist', dir), (e: unknown) => e instanceof DatasetError && e.path === path);
});
