/**
 * A checkpoint-store outage during a prune: the pruner retries its store calls (logging each wait) and
 * answers once the store is back, instead of failing the call after a few seconds.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TrainState } from '@rewind/core';
import { type Child, freePort, type LocalServer, S3RVER_CREDENTIALS, scaled, startS3rver } from '@rewind/dev-cluster';
import { GrpcCheckpointStore, GrpcPruner } from '@rewind/rpc';
import { plaintextService, tempDir } from './cluster-helpers.ts';

const weights: TrainState = {
  step: 10,
  params: {
    'fc1.kernel': { shape: [4, 4], data: new Float32Array(16).map((_, i) => Math.sin(i)) },
    'fc.kernel': { shape: [4, 2], data: new Float32Array(8).map((_, i) => Math.cos(i)) },
  },
  buffers: {},
  momentum: {},
};

describe('a store outage during a prune', () => {
  let dir: string;
  let s3: LocalServer;
  let store: Child;
  let pruner: Child;
  let storeEnv: Record<string, string>;
  let storeAddress: string;
  let prunerAddress: string;

  before(async () => {
    dir = await tempDir('store-outage');
    s3 = await startS3rver(join(dir, 's3'));
    const [storePort, prunerPort] = await Promise.all([freePort(), freePort()]);
    storeAddress = `127.0.0.1:${storePort}`;
    prunerAddress = `127.0.0.1:${prunerPort}`;
    storeEnv = {
      HOST: '127.0.0.1',
      PORT: String(storePort),
      S3_URL: s3.url,
      S3_ACCESS_KEY: S3RVER_CREDENTIALS.accessKey,
      S3_SECRET_KEY: S3RVER_CREDENTIALS.secretKey,
    };
    store = await plaintextService('checkpoint-store', storeEnv);
    pruner = await plaintextService('pruner', { HOST: '127.0.0.1', PORT: String(prunerPort), STORE_ADDRESS: storeAddress });
  });

  after(async () => {
    await Promise.all([pruner?.stop(), store?.stop()]);
    await s3?.child.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for the store to come back and answers with the same mask as without the outage', async () => {
    const client = new GrpcCheckpointStore(storeAddress);
    const prunerClient = new GrpcPruner(prunerAddress);
    try {
      const weightsId = await client.putState(weights, { kind: 'final', experiment: 'e1', trunk: 't1', rewindStep: 0, round: 0 });
      const job = {
        weightsId,
        prunable: ['fc1.kernel'],
        method: { kind: 'magnitude', pruning: { strategy: 'global_magnitude', fraction: 0.25, rounds: 1, excludedLayers: [] } },
        lineage: { experiment: 'e1', trunk: 't1', rewindStep: 0, round: 1 },
      } as const;
      const undisturbed = await prunerClient.prune(job);

      await store.kill();
      const during = prunerClient.prune(job);
      await pruner.waitFor(/checkpoint-store at 127\.0\.0\.1:\d+ is unavailable \(attempt 3: .*\); retrying, giving up in \d+ s/, scaled(60_000));
      store = await plaintextService('checkpoint-store', storeEnv);
      assert.equal(await during, undisturbed);
    } finally {
      client.close();
      prunerClient.close();
    }
  });
});
