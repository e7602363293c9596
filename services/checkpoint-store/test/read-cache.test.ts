import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TrainState } from '@rewind/core';
import { type LocalServer, S3RVER_CREDENTIALS, startS3rver } from '@rewind/dev-cluster';
import type { Lineage } from '@rewind/runner';
import { parseS3Config, S3CheckpointStore } from '@rewind/s3-store';
import { Client } from 'minio';
import { withReadCache } from '../src/read-cache.ts';

const lineage: Lineage = { kind: 'final', experiment: 'e1', step: 9 };
const stateOf = (n: number, seed: number): TrainState => ({
  step: 9,
  params: { w: { shape: [n], data: new Float32Array(n).map((_, i) => Math.cos(i * seed)) } },
  buffers: {},
  momentum: {},
});

describe('the checkpoint-store read cache', () => {
  let dir: string;
  let s3: LocalServer;
  let store: S3CheckpointStore;
  let raw: Client;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-cache-'));
    s3 = await startS3rver(join(dir, 's3'));
    const config = parseS3Config({ url: s3.url, ...S3RVER_CREDENTIALS, bucket: 'cache-test' });
    store = await S3CheckpointStore.open(config);
    raw = new Client({ endPoint: '127.0.0.1', port: config.port, useSSL: false, ...S3RVER_CREDENTIALS, pathStyle: true });
  });

  after(async () => {
    await s3?.child.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const dropManifest = (id: string) => raw.removeObject('cache-test', `checkpoints/${id}.json`);

  it('serves what it just wrote without asking S3, with its lineage and info', async () => {
    const cached = withReadCache(store, 1024 * 1024);
    const state = stateOf(100, 1);
    const id = await cached.putState(state, lineage);
    await dropManifest(id);
    assert.deepEqual((await cached.getState(id)).value.params, state.params);
    assert.deepEqual(await cached.lineage(id), lineage);
    assert.equal((await cached.stat(id))?.id, id);
    await assert.rejects(store.getState(id), 'S3 itself no longer has it: the hit came from memory');
  });

  it('keeps what it read, and nothing larger than an eighth of its size', async () => {
    const cached = withReadCache(store, 8 * 1024);
    const small = await store.putState(stateOf(100, 2), lineage);
    const large = await store.putState(stateOf(1000, 3), lineage);
    await cached.getState(small);
    await cached.getState(large);
    await Promise.all([dropManifest(small), dropManifest(large)]);
    assert.equal((await cached.getState(small)).id, small);
    await assert.rejects(cached.getState(large), 'a 4 kB state exceeds the 1 kB entry limit, so it was not kept');
  });

  it('is off at size 0', async () => {
    const id = await store.putState(stateOf(10, 4), lineage);
    const uncached = withReadCache(store, 0);
    await uncached.getState(id);
    await dropManifest(id);
    await assert.rejects(uncached.getState(id));
  });
});
