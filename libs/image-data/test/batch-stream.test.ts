import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { rngFor } from '@rewind/core';
import { DatasetError } from '@rewind/data';
import sharp from 'sharp';
import {
  type BatchStreamOptions,
  centerCrop,
  EpochOrder,
  ImageBatchStream,
  jpegAddon,
  listImageFolder,
  openImageFolder,
  openLocalShards,
  randomResizedCrop,
} from '../src/index.ts';
import { type Fixture, makeFixture, SMALL } from './fixture.ts';

const TRAIN: BatchStreamOptions = { batchSize: 8, size: 32, train: true, augmentSeed: 7, orderSeed: 3, workers: 2, prefetch: 2, onCorrupt: 'error' };

async function collect(stream: ImageBatchStream, from: number, to: number) {
  const out = [];
  // A streamed batch's buffer is refilled once the next is asked for, so keep copies.
  for await (const batch of stream.batches(from, to)) out.push({ ...batch, images: batch.images.slice() });
  return out;
}

describe('JPEG decode', () => {
  let fx: Fixture;
  before(async () => {
    fx = await makeFixture();
  });
  after(() => rm(fx.dir, { recursive: true, force: true }));

  it('decodes like libvips (sharp) does, within JPEG rounding', async () => {
    const { splits } = await listImageFolder(fx.folder);
    for (const { path } of splits.train.slice(0, 5)) {
      const jpeg = new Uint8Array(await readFile(path));
      const ours = jpegAddon().decode(jpeg, 1);
      const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([ours.width, ours.height], [info.width, info.height]);
      let worst = 0;
      for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i]! - ours.rgb[i]!));
      assert.ok(worst <= 3, `max channel difference ${worst}`);
    }
  });

  it('crops, resizes with DCT scaling and flips to what a full decode then resample gives', async () => {
    const { splits } = await listImageFolder(fx.folder);
    const big = (await Promise.all(splits.train.map(async (s) => new Uint8Array(await readFile(s.path))))).find((j) => Math.min(...jpegAddon().jpegSize(j)) >= 200)!;
    const [w, h] = jpegAddon().jpegSize(big);
    const box = { x: 10, y: 20, width: Math.min(w, h) - 40, height: Math.min(w, h) - 40 };
    const scaled = new Uint8Array(32 * 32 * 3);
    const flipped = new Uint8Array(32 * 32 * 3);
    const full = new Uint8Array(32 * 32 * 3);
    assert.ok(jpegAddon().decodeCropResize(big, box.x, box.y, box.width, box.height, 32, 32, false, scaled, 0, 8) >= 4, 'a 160+ px crop to 32 px decodes at 1/4 or less');
    assert.equal(jpegAddon().decodeCropResize(big, box.x, box.y, box.width, box.height, 32, 32, true, flipped, 0, 8) >= 4, true);
    assert.equal(jpegAddon().decodeCropResize(big, box.x, box.y, box.width, box.height, 32, 32, false, full, 0, 1), 1);
    let diff = 0;
    for (let i = 0; i < full.length; i++) diff += Math.abs(full[i]! - scaled[i]!);
    assert.ok(diff / full.length < 12, `mean difference between DCT-scaled and full decode ${diff / full.length}`);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++) assert.equal(flipped[(y * 32 + x) * 3 + c], scaled[(y * 32 + 31 - x) * 3 + c]);
      }
    }
  });

  it('rejects a file that is not a JPEG with a corrupt-file code', () => {
    assert.throws(() => jpegAddon().jpegSize(new Uint8Array([1, 2, 3, 4])), (e: Error & { code?: string }) => e.code === 'ERR_CORRUPT_JPEG');
  });

  const corruptCode = (e: Error & { code?: string }) => e.code === 'ERR_CORRUPT_JPEG';
  const smallJpeg = () => jpegAddon().encode(new Uint8Array(48 * 40 * 3).fill(90), 48, 40, 90);
  const frameHeaderAt = (jpeg: Uint8Array) => jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0);

  it('calls a JPEG cut before its frame header corrupt every time, and the next file still decodes', () => {
    const whole = smallJpeg();
    const cut = whole.slice(0, frameHeaderAt(whole));
    const out = new Uint8Array(16 * 16 * 3);
    for (let n = 0; n < 30; n++) {
      // TurboJPEG reads such a cut as a tables-only stream and leaves the size unset; its handle then
      // read the next, valid file as "no image" too, so a corrupt file cost its neighbour as well.
      assert.throws(() => jpegAddon().jpegSize(cut), corruptCode);
      assert.deepEqual(jpegAddon().jpegSize(whole), [48, 40]);
      assert.throws(() => jpegAddon().decodeCropResize(cut, 0, 0, 8, 8, 16, 16, false, out, 0, 8), corruptCode);
      assert.equal(jpegAddon().decodeCropResize(whole, 0, 0, 32, 32, 16, 16, false, out, 0, 8), 2);
    }
  });

  it('refuses a header that claims 60000 x 60000 pixels as corrupt, instead of allocating 10 GB for it', () => {
    const hostile = smallJpeg();
    hostile.set([0xea, 0x60, 0xea, 0x60], frameHeaderAt(hostile) + 5); // height, then width, big-endian (libjpeg's own limit is 65500)
    assert.throws(() => jpegAddon().jpegSize(hostile), corruptCode);
    assert.throws(() => jpegAddon().decodeCropResize(hostile, 0, 0, 8, 8, 16, 16, false, new Uint8Array(16 * 16 * 3), 0, 8), corruptCode);
  });
});

describe('crop geometry', () => {
  it('RandomResizedCrop stays inside the image, within scale and ratio, and is a pure function of its stream', () => {
    for (let n = 0; n < 500; n++) {
      const [w, h] = [64 + (n % 437), 64 + ((n * 7) % 437)];
      const box = randomResizedCrop(w, h, rngFor(1, 'augment', 0, n));
      assert.deepEqual(box, randomResizedCrop(w, h, rngFor(1, 'augment', 0, n)));
      assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= w && box.y + box.height <= h);
      const area = (box.width * box.height) / (w * h);
      assert.ok(area <= 1 && area >= 0.06, `area ${area}`);
      const ratio = box.width / box.height;
      assert.ok(ratio >= 0.7 && ratio <= 1.43, `ratio ${ratio}`);
    }
  });

  it('the eval crop is the centre square of resize 256 → crop 224', () => {
    assert.deepEqual(centerCrop(500, 375, 224, 256), { x: 86, y: 23, width: 328, height: 328 });
  });
});

describe('epoch order', () => {
  it('is a permutation of every sample, different per epoch, the same for the same seed', () => {
    const order = new EpochOrder([5, 9, 3, 7], 11, true);
    const epoch = (o: EpochOrder, e: number) => Array.from({ length: o.size }, (_, p) => o.at(e, p).id);
    const first = epoch(order, 0);
    assert.deepEqual([...first].sort((a, b) => a - b), Array.from({ length: 24 }, (_, i) => i));
    assert.deepEqual(epoch(new EpochOrder([5, 9, 3, 7], 11, true), 0), first);
    assert.notDeepEqual(epoch(order, 1), first);
    assert.deepEqual(epoch(order, 0), first, 'going back to an epoch gives it again');
  });
});

describe('batch stream', () => {
  let fx: Fixture;
  before(async () => {
    fx = await makeFixture();
  });
  after(() => rm(fx.dir, { recursive: true, force: true }));

  it('gives bit-identical batches on a rerun, and from a rewound start without reading the skipped samples', async () => {
    const a = new ImageBatchStream(await openLocalShards(fx.shards, 'train'), TRAIN);
    const b = new ImageBatchStream(await openLocalShards(fx.shards, 'train'), { ...TRAIN, workers: 1, prefetch: 1 });
    try {
      assert.equal(a.stepsPerEpoch, Math.floor((SMALL.classes * SMALL.trainPerClass) / 8));
      const all = await collect(a, 0, 2 * a.stepsPerEpoch);
      const resumed = await collect(b, a.stepsPerEpoch + 2, 2 * a.stepsPerEpoch);
      assert.equal(b.samplesRead, (a.stepsPerEpoch - 2) * 8, 'only the batches from the rewind point on were read');
      resumed.forEach((batch) => {
        const same = all[batch.step]!;
        assert.deepEqual(batch.labels, same.labels);
        assert.ok(Buffer.from(batch.images).equals(Buffer.from(same.images)), `step ${batch.step} images`);
      });
      assert.notDeepEqual(all[0]!.labels, all[a.stepsPerEpoch]!.labels, 'each epoch has its own order');
      assert.ok(all.every((x) => x.count === 8 && x.images.length === 8 * 32 * 32 * 3));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('reads an ImageFolder tree and shards to the same evaluation batches', async () => {
    const eval_ = { ...TRAIN, train: false };
    const folder = new ImageBatchStream(await openImageFolder(fx.folder, 'val'), eval_);
    const shards = new ImageBatchStream(await openLocalShards(fx.shards, 'val'), eval_);
    try {
      const fromFolder = await collect(folder, 0, folder.stepsPerEpoch);
      const fromShards = await collect(shards, 0, shards.stepsPerEpoch);
      assert.equal(fromFolder.reduce((n, x) => n + x.count, 0), SMALL.classes * SMALL.valPerClass, 'evaluation keeps the last, partial batch');
      const key = (batches: typeof fromFolder) =>
        batches
          .flatMap((x) => Array.from({ length: x.count }, (_, i) => `${x.labels[i]}:${Buffer.from(x.images.subarray(i * 3072, (i + 1) * 3072)).toString('base64')}`))
          .sort();
      assert.deepEqual(key(fromShards), key(fromFolder));
    } finally {
      await Promise.all([folder.close(), shards.close()]);
    }
  });

  it('skips a corrupt JPEG with a counted warning, or fails naming it, per the setting', async () => {
    const { splits } = await listImageFolder(fx.folder);
    const victim = splits.train[5]!.path;
    const original = await readFile(victim);
    await writeFile(victim, original.subarray(0, 300));
    const warnings: string[] = [];
    const skipping = new ImageBatchStream(await openImageFolder(fx.folder, 'train'), { ...TRAIN, train: false, onCorrupt: 'skip', onWarning: (m) => warnings.push(m) });
    const strict = new ImageBatchStream(await openImageFolder(fx.folder, 'train'), { ...TRAIN, train: false });
    try {
      const batches = await collect(skipping, 0, skipping.stepsPerEpoch);
      assert.equal(skipping.skipped, 1);
      assert.equal(batches.reduce((n, x) => n + x.count, 0), splits.train.length - 1);
      assert.equal(warnings.length, 1);
      assert.ok(warnings[0]!.includes(victim));
      await assert.rejects(collect(strict, 0, strict.stepsPerEpoch), (e: Error) => e instanceof DatasetError && e.message.includes(victim) && /on_corrupt: skip/.test(e.message));
    } finally {
      await writeFile(victim, original);
      await Promise.all([skipping.close(), strict.close()]);
    }
  });
});
