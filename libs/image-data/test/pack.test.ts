import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm, writeFile, truncate, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatasetError } from '@rewind/data';
import tar from 'tar-stream';
import { listImageFolder, openLocalShards, readLocalIndex } from '../src/index.ts';
import { type Fixture, makeFixture, SMALL } from './fixture.ts';

describe('packing an ImageFolder tree into tar shards', () => {
  let fx: Fixture;
  before(async () => {
    fx = await makeFixture();
  });
  after(() => rm(fx.dir, { recursive: true, force: true }));

  it('writes every image once, in several shards, with per-shard counts and class names', () => {
    const { train, val } = fx.index.splits;
    assert.ok(train.length > 1, 'the small shard size splits train into several shards');
    assert.equal(train.reduce((n, s) => n + s.offsets.length, 0), SMALL.classes * SMALL.trainPerClass);
    assert.equal(val.reduce((n, s) => n + s.offsets.length, 0), SMALL.classes * SMALL.valPerClass);
    assert.deepEqual(fx.index.classes, ['n00000000', 'n00000001', 'n00000002', 'n00000003']);
    // Packing shuffles, so the first shard already mixes the classes.
    assert.ok(new Set(train[0]!.labels).size > 1);
  });

  it('is a WebDataset tar whose index offsets, lengths and checksums match its bytes', async () => {
    const listing = await listImageFolder(fx.folder);
    const sources = new Map<string, number>();
    for (const s of listing.splits.train) sources.set(createHash('sha256').update(await readFile(s.path)).digest('hex'), s.label);
    const shard = fx.index.splits.train[0]!;
    const bytes = await readFile(join(fx.shards, shard.file));
    assert.equal(bytes.length, shard.bytes);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), shard.sha256);
    shard.offsets.forEach((offset, i) => {
      const jpeg = bytes.subarray(offset, offset + shard.lengths[i]!);
      assert.equal(sources.get(createHash('sha256').update(jpeg).digest('hex')), shard.labels[i], `sample ${i} is a source image with its label`);
    });
    const names: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      names.push(header.name);
      stream.resume();
      stream.on('end', next);
    });
    await new Promise((resolve, reject) => {
      extract.on('finish', resolve).on('error', reject);
      createReadStream(join(fx.shards, shard.file)).pipe(extract);
    });
    assert.equal(names.length, 2 * shard.offsets.length);
    assert.match(names[0]!, /^\d{6}\.jpg$/);
    assert.equal(names[1], names[0]!.replace('.jpg', '.cls'));
  });

  it('fails at open, naming the shard, when a shard is truncated or missing', async () => {
    const shard = fx.index.splits.train[1]!;
    const path = join(fx.shards, shard.file);
    const original = await readFile(path);
    await truncate(path, shard.bytes - 700);
    await assert.rejects(openLocalShards(fx.shards, 'train'), (e: Error) => e instanceof DatasetError && e.message.includes(shard.file) && /truncated/.test(e.message));
    await rename(path, `${path}.moved`);
    await assert.rejects(openLocalShards(fx.shards, 'train'), (e: Error) => e instanceof DatasetError && e.problem === 'missing' && e.message.includes(shard.file));
    await rm(`${path}.moved`);
    await writeFile(path, original);
    const source = await openLocalShards(fx.shards, 'train');
    await source.close();
  });

  it('rejects an index that does not match its shards, listing what is wrong', async () => {
    const path = join(fx.shards, 'index.json');
    const text = await readFile(path, 'utf8');
    const index = JSON.parse(text);
    index.splits.train[0].offsets[0] = index.splits.train[0].bytes;
    index.splits.train[0].labels[1] = 99;
    index.splits.val[0].file = '../escape.tar';
    await writeFile(path, JSON.stringify(index));
    await assert.rejects(readLocalIndex(fx.shards), (e: Error) => {
      assert.ok(e instanceof DatasetError);
      assert.match(e.message, /sample 0 lies outside/);
      assert.match(e.message, /label 99 is not a class index/);
      assert.match(e.message, /"\.\.\/escape\.tar" is not a plain \.tar file name/);
      return true;
    });
    await writeFile(path, text);
  });

  it('names a missing class folder', async () => {
    await rename(join(fx.folder, 'val', 'n00000002'), join(fx.dir, 'moved'));
    await assert.rejects(listImageFolder(fx.folder), /val lacks class folders n00000002/);
    await rename(join(fx.dir, 'moved'), join(fx.folder, 'val', 'n00000002'));
  });
});
