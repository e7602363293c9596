import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, type LocalServer, S3RVER_CREDENTIALS, startS3rver } from '@rewind/dev-cluster';
import { DatasetError } from '@rewind/data';
import { Client } from 'minio';
import { type BatchStreamOptions, ImageBatchStream, openLocalShards, openS3Shards, parseS3Url } from '../src/index.ts';
import { type Fixture, makeFixture } from './fixture.ts';

const TRAIN: BatchStreamOptions = { batchSize: 8, size: 32, train: true, augmentSeed: 1, orderSeed: 2, workers: 2, prefetch: 2, onCorrupt: 'error' };

describe('tar shards in S3', () => {
  let fx: Fixture;
  let s3: LocalServer;
  let client: Client;
  before(async () => {
    fx = await makeFixture();
    s3 = await startS3rver(join(fx.dir, 's3'));
    client = new Client({ endPoint: '127.0.0.1', port: Number(new URL(s3.url).port), useSSL: false, ...S3RVER_CREDENTIALS, pathStyle: true });
    await client.makeBucket('images');
    for (const file of await readdir(fx.shards)) await client.fPutObject('images', `imagenet/${file}`, join(fx.shards, file));
  });
  after(async () => {
    await s3?.child.stop();
    await rm(fx.dir, { recursive: true, force: true });
  });

  it('parses s3:// dataset locations', () => {
    assert.deepEqual(parseS3Url('s3://images/imagenet/'), { bucket: 'images', prefix: 'imagenet' });
    assert.deepEqual(parseS3Url('s3://images'), { bucket: 'images', prefix: '' });
    assert.equal(parseS3Url('/data/imagenet'), undefined);
  });

  it('streams the same batches as the local shards, sample by sample', async () => {
    const local = new ImageBatchStream(await openLocalShards(fx.shards, 'train'), TRAIN);
    const remote = new ImageBatchStream(await openS3Shards({ client, bucket: 'images', prefix: 'imagenet' }, 'train'), TRAIN);
    try {
      for await (const batch of remote.batches(0, 3)) {
        const same = await local.batchAt(batch.step);
        assert.deepEqual(batch.labels, same.labels);
        assert.ok(Buffer.from(batch.images).equals(Buffer.from(same.images)));
      }
    } finally {
      await Promise.all([local.close(), remote.close()]);
    }
  });

  it('names the bucket and key when the index is missing', async () => {
    await assert.rejects(
      openS3Shards({ client, bucket: 'images', prefix: 'nothing-here' }, 'train'),
      (e: Error) => e instanceof DatasetError && e.message.includes('s3://images/nothing-here/index.json'),
    );
  });

  it('retries while the server is unreachable, then names the bucket and key', async () => {
    const port = await freePort();
    const down = new Client({ endPoint: '127.0.0.1', port, useSSL: false, ...S3RVER_CREDENTIALS, pathStyle: true });
    await assert.rejects(
      openS3Shards({ client: down, bucket: 'images', prefix: 'imagenet', attempts: 3, minDelayMs: 10 }, 'train'),
      (e: Error) => e instanceof DatasetError && e.message.includes('s3://images/imagenet/index.json') && /ECONNREFUSED/.test(e.message),
    );
  });
});
