import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { CorruptCheckpointError } from '@rewind/core';
import type { TrainJob } from '@rewind/runner';
import { ChecksumMismatchError } from '@rewind/safetensors';
import {
  CheckpointStoreServiceService,
  GrpcCheckpointStore,
  GrpcPruner,
  HealthClient,
  insecure,
  jobFromMessage,
  jobToMessage,
  PLAINTEXT,
  pruneJobFromMessage,
  pruneJobToMessage,
  PrunerServiceService,
  ServerUnavailableError,
  ServingStatus,
  startGrpcServer,
  streamHandler,
  TrainJobMessage,
  unaryHandler,
} from '../src/index.ts';

const job: TrainJob = {
  id: 'ticket_1',
  model: { name: 'mnist_lenet_300_100', width: 1, initSeed: 0 },
  dataset: { name: 'synthetic', dir: '', trainSubset: 0 },
  endStep: 96,
  checkpointEvery: 16,
  snapshotAt: [],
  lineage: { experiment: 'ticket_1', trunk: 'trunk_1', rewindStep: 8, round: 1 },
  start: { checkpointId: 'a'.repeat(64) },
  training: {
    optimizer: 'sgd',
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 1e-4,
    batchSize: 32,
    steps: { epochs: 0, iterations: 96 },
    warmup: { epochs: 0, iterations: 0 },
    milestones: [{ epochs: 1, iterations: 0 }],
    gamma: 0.1,
    dataOrderSeed: 0,
    evalEvery: { epochs: 0, iterations: 32 },
  },
  maskId: 'b'.repeat(64),
};

describe('wire conversions', () => {
  it('round-trips a training job through protobuf bytes, lineage keys in the runner’s order', () => {
    const bytes = TrainJobMessage.encode(jobToMessage(job, 'sweep_1')).finish();
    const back = jobFromMessage(TrainJobMessage.decode(bytes));
    assert.deepEqual(back, job);
    // Lineage is embedded as JSON in checkpoint bytes: the key order decides the content id.
    assert.equal(JSON.stringify(back.lineage), JSON.stringify(job.lineage));
  });

  it('round-trips prune jobs and rejects unknown names clearly', () => {
    const prune = {
      weightsId: 'c'.repeat(64),
      prunable: ['fc1.kernel'],
      method: { kind: 'magnitude', pruning: { strategy: 'global_magnitude', fraction: 0.2, rounds: 2, excludedLayers: ['fc.kernel'] } },
      lineage: { experiment: 'ticket_1', trunk: 'trunk_1', rewindStep: 0, round: 1 },
    } as const;
    const back = pruneJobFromMessage(pruneJobToMessage(prune));
    assert.deepEqual(back, prune);
    assert.equal(JSON.stringify(back.lineage), JSON.stringify(prune.lineage));
    const bad = jobToMessage(job, 's');
    bad.model!.name = 'resnet_9000';
    assert.throws(() => jobFromMessage(bad), /model "resnet_9000" is not one of/);
  });
});

describe('gRPC plumbing', () => {
  it('serves grpc.health.v1 and maps handler errors to gRPC codes', async () => {
    const server = await startGrpcServer({
      tls: PLAINTEXT,
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: 'rewind.v1.PrunerService',
          definition: PrunerServiceService,
          implementation: {
            prune: unaryHandler('prune', async () => {
              throw new Error('prune request: weights_id is required');
            }),
          },
        },
      ],
    });
    const address = `127.0.0.1:${server.port}`;
    const health = new HealthClient(address, insecure());
    const check = () =>
      new Promise<number>((resolve, reject) =>
        health.check({ service: '' }, new Metadata(), (err, res) => (err ? reject(err) : resolve(res.status))),
      );
    assert.equal(await check(), ServingStatus.NOT_SERVING);
    server.health.set(ServingStatus.SERVING);
    assert.equal(await check(), ServingStatus.SERVING);
    const pruner = new GrpcPruner(address);
    await assert.rejects(
      pruner.prune({ weightsId: '', prunable: [], method: { kind: 'random_like', seed: 1 }, lineage: { experiment: 'e' } }),
      (err: Error & { code?: number }) => {
        assert.equal(err.code, 3); // INVALID_ARGUMENT
        assert.match(err.message, /^pruner at 127\.0\.0\.1:\d+: prune request: weights_id is required/);
        return true;
      },
    );
    pruner.close();
    health.close();
    await server.shutdown(1000);
    // The server is gone: retried, then an error naming it.
    const gone = new GrpcPruner(address, { retry: { attempts: 2, baseDelayMs: 10 } });
    await assert.rejects(
      gone.prune({ weightsId: 'x', prunable: [], method: { kind: 'random_like', seed: 1 }, lineage: { experiment: 'e' } }),
      (err: Error) => err instanceof ServerUnavailableError && err.message.includes(`pruner at ${address} is unavailable after 2 attempts`),
    );
    gone.close();
  });

  it('a checkpoint the store finds corrupt arrives as DATA_LOSS and is typed again, carrying its id', async () => {
    const id = 'c'.repeat(64);
    const server = await startGrpcServer({
      tls: PLAINTEXT,
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: 'rewind.v1.CheckpointStoreService',
          definition: CheckpointStoreServiceService,
          implementation: {
            getCheckpoint: streamHandler('checkpoint.get', async () => {
              throw new ChecksumMismatchError(id, 'd'.repeat(64), 'bucket b');
            }),
          },
        },
      ],
    });
    const store = new GrpcCheckpointStore(`127.0.0.1:${server.port}`, { retry: { attempts: 1, baseDelayMs: 10 } });
    await assert.rejects(store.getState(id), (err: Error) => {
      assert.ok(err instanceof CorruptCheckpointError);
      assert.equal(err.id, id);
      assert.match(err.message, new RegExp(`^checkpoint-store at 127\\.0\\.0\\.1:\\d+: checkpoint ${id} is corrupt \\(bucket b\\)`));
      return true;
    });
    store.close();
    await server.shutdown(1000);
  });
});
