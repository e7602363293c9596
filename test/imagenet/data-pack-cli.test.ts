/** `rewind data pack` into a folder and into S3 (s3rver), and its usage errors. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '@rewind/cli';
import { type LocalServer, S3RVER_CREDENTIALS, startS3rver } from '@rewind/dev-cluster';
import { generateImageFolder, ImageBatchStream, openS3Shards } from '@rewind/image-data';
import { Client } from 'minio';

let dir: string;
let s3: LocalServer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rewind-pack-cli-'));
  await generateImageFolder(join(dir, 'folder'), { classes: 3, trainPerClass: 6, valPerClass: 2, minSide: 48, maxSide: 120, quality: 85, seed: 0 });
  s3 = await startS3rver(join(dir, 's3'));
});
after(async () => {
  await s3?.child.stop();
  await rm(dir, { recursive: true, force: true });
});

test('packs a tree into a folder: shards plus an index with counts and classes', async () => {
  assert.equal(await main(['data', 'pack', '--from', join(dir, 'folder'), '--to', join(dir, 'out'), '--shard-size', '20KB']), 0);
  const index = JSON.parse(await readFile(join(dir, 'out', 'index.json'), 'utf8'));
  assert.deepEqual(index.classes, ['n00000000', 'n00000001', 'n00000002']);
  assert.ok(index.splits.train.length > 1);
  assert.equal(index.splits.train.reduce((n: number, s: { offsets: number[] }) => n + s.offsets.length, 0), 18);
});

test('packs into S3, where the shards stream back', async () => {
  process.env.S3_URL = s3.url;
  process.env.S3_ACCESS_KEY = S3RVER_CREDENTIALS.accessKey;
  process.env.S3_SECRET_KEY = S3RVER_CREDENTIALS.secretKey;
  assert.equal(await main(['data', 'pack', '--from', join(dir, 'folder'), '--to', 's3://packed/tiny', '--shard-size', '30KB']), 0);
  const client = new Client({ endPoint: '127.0.0.1', port: Number(new URL(s3.url).port), useSSL: false, ...S3RVER_CREDENTIALS, pathStyle: true });
  const source = await openS3Shards({ client, bucket: 'packed', prefix: 'tiny' }, 'val');
  const stream = new ImageBatchStream(source, { batchSize: 4, size: 16, train: false, augmentSeed: 0, orderSeed: 0, workers: 1, prefetch: 1, onCorrupt: 'error' });
  try {
    const batch = await stream.batchAt(0);
    assert.equal(batch.count, 4);
  } finally {
    await stream.close();
  }
});

test('a bad shard size or a missing tree is a one-line usage error, exit 2', async () => {
  assert.equal(await main(['data', 'pack', '--from', join(dir, 'folder'), '--to', join(dir, 'x'), '--shard-size', 'huge']), 2);
  assert.equal(await main(['data', 'pack', '--from', join(dir, 'nothing'), '--to', join(dir, 'y')]), 2);
});
