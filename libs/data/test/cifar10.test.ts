import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatasetError, loadCifar10, parseCifarBatch } from '@rewind/data';
import { cifarRecord, tempDir, writeCifarFiles } from './fixtures.ts';

test('parseCifarBatch transposes channel-major records to NHWC', () => {
  const bytes = new Uint8Array(2 * 3073);
  bytes.set(cifarRecord(3), 0);
  bytes.set(cifarRecord(9), 3073);
  const records = parseCifarBatch(bytes, 'batch.bin');
  assert.equal(records.count, 2);
  assert.deepEqual([...records.labels], [3, 9]);
  const at = (n: number, row: number, col: number, c: number) => records.pixels[((n * 32 + row) * 32 + col) * 3 + c];
  assert.equal(at(0, 0, 0, 0), 0);
  assert.equal(at(0, 2, 5, 0), 7);
  assert.equal(at(1, 2, 5, 1), 57);
  assert.equal(at(1, 31, 31, 2), 162);
});

test('parseCifarBatch rejects partial records and out-of-range labels', () => {
  assert.throws(() => parseCifarBatch(new Uint8Array(3000), 'b.bin'), (e) => e instanceof DatasetError);
  assert.throws(() => parseCifarBatch(cifarRecord(10), 'b.bin'), /label 10/);
});

test('loadCifar10 joins the five training batches and normalises per channel', async () => {
  const dir = await tempDir();
  await writeCifarFiles(dir, 3);
  const data = await loadCifar10(dir);
  assert.deepEqual(data.inputShape, [32, 32, 3]);
  assert.equal(data.train.count, 15);
  assert.equal(data.test.count, 3);
  assert.equal(data.train.images.length, 15 * 3072);
  assert.deepEqual([...data.train.labels.subarray(0, 6)], [0, 1, 2, 1, 2, 3]);
  // Pixel (row 1, col 2, green) is 53 in every record.
  const green = data.train.images[(1 * 32 + 2) * 3 + 1]!;
  assert.ok(Math.abs(green - (53 / 255 - 0.456) / 0.224) < 1e-6);
});

test('loadCifar10 also finds the batches in the archive folder cifar-10-batches-bin', async () => {
  const dir = await tempDir();
  const nested = join(dir, 'cifar-10-batches-bin');
  await mkdir(nested);
  await writeCifarFiles(nested, 1);
  assert.equal((await loadCifar10(dir)).train.count, 5);
});

test('a missing CIFAR-10 batch is a DatasetError that says where the binaries come from', async () => {
  const dir = await tempDir();
  await writeCifarFiles(dir, 1);
  await writeFile(join(dir, 'data_batch_3.bin'), new Uint8Array(10));
  await assert.rejects(loadCifar10(dir), (e: unknown) => {
    assert.ok(e instanceof DatasetError);
    assert.match(e.message, /data_batch_3\.bin/);
    return true;
  });
  await assert.rejects(loadCifar10(join(dir, 'absent')), /cifar-10-binary\.tar\.gz/);
});

test('CIFAR-10 carries its augmentation recipe: pad 4 with black, in normalised values', async () => {
  const dir = await tempDir();
  await writeCifarFiles(dir, 1);
  const data = await loadCifar10(dir);
  const recipe = data.augmentation;
  assert.ok(recipe);
  assert.equal(recipe.padding, 4);
  // Pixel (0, 0) of the red channel is raw 0, so it must equal the red fill exactly.
  assert.equal(recipe.fill[0], data.train.images[0]);
  assert.deepEqual([...recipe.fill], [0.485, 0.456, 0.406].map((m, c) => Math.fround(-m / [0.229, 0.224, 0.225][c]!)));
});
