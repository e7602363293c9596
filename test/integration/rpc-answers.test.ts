/**
 * Every RPC answers: against the real checkpoint-store (over s3rver) and pruner processes, bad and absent
 * ids, escaping ref names and out-of-range prune requests each end at once with a clear status, never a
 * hang and never INTERNAL.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Client, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { type Child, freePort, S3RVER_CREDENTIALS, scaled, startS3rver, type LocalServer } from '@rewind/dev-cluster';
import {
  CheckpointStoreServiceClient,
  channelOptions,
  GrpcCheckpointStore,
  insecure,
  PrunerServiceClient,
  PruningStrategy,
  type PruneRequest,
} from '@rewind/rpc';
import { plaintextService, tempDir } from './cluster-helpers.ts';

const ID = 'ab'.repeat(32);

/** Resolves with the call's status code; the deadline only guards against a hang, which fails the test. */
function unaryCode(client: Client, method: string, request: unknown): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    type Unary = (req: unknown, md: Metadata, options: object, callback: (err: ServiceError | null) => void) => void;
    const fn = (client as unknown as Record<string, Unary>)[method]!.bind(client);
    fn(request, new Metadata(), { deadline: Date.now() + scaled(10_000) }, (err: ServiceError | null) =>
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' }),
    );
  });
}

function streamCode(client: CheckpointStoreServiceClient, id: string): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    const stream = client.getCheckpoint({ id }, new Metadata(), { deadline: Date.now() + scaled(10_000) });
    stream.on('data', () => {});
    stream.on('error', (err: ServiceError) => resolve({ code: err.code, details: err.details }));
    stream.on('end', () => resolve({ code: status.OK, details: '' }));
  });
}

const pruneRequest = (over: Partial<PruneRequest> = {}): PruneRequest => ({
  weightsId: ID,
  prunable: ['fc1.kernel'],
  method: { $case: 'magnitude', value: { strategy: PruningStrategy.PRUNING_STRATEGY_GLOBAL_MAGNITUDE, fraction: 0.2, rounds: 1, excludedLayers: [] } },
  lineage: { experiment: 'e1', kind: 0 },
  ...over,
});

describe('every RPC answers with a clear status', () => {
  let dir: string;
  let s3: LocalServer;
  let store: Child;
  let pruner: Child;
  let storeClient: CheckpointStoreServiceClient;
  let prunerClient: PrunerServiceClient;
  let storeAddress: string;

  before(async () => {
    dir = await tempDir('rpc-answers');
    s3 = await startS3rver(join(dir, 's3'));
    const [storePort, prunerPort] = await Promise.all([freePort(), freePort()]);
    store = await plaintextService('checkpoint-store', {
      HOST: '127.0.0.1',
      PORT: String(storePort),
      S3_URL: s3.url,
      S3_ACCESS_KEY: S3RVER_CREDENTIALS.accessKey,
      S3_SECRET_KEY: S3RVER_CREDENTIALS.secretKey,
    });
    pruner = await plaintextService('pruner', { HOST: '127.0.0.1', PORT: String(prunerPort), STORE_ADDRESS: `127.0.0.1:${storePort}` });
    storeAddress = `127.0.0.1:${storePort}`;
    storeClient = new CheckpointStoreServiceClient(storeAddress, insecure(), channelOptions());
    prunerClient = new PrunerServiceClient(`127.0.0.1:${prunerPort}`, insecure(), channelOptions());
  });

  after(async () => {
    storeClient?.close();
    prunerClient?.close();
    await Promise.all([pruner?.stop(), store?.stop()]);
    await s3?.child.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('GetCheckpoint streams a status for a missing or malformed id', async () => {
    assert.equal((await streamCode(storeClient, ID)).code, status.NOT_FOUND);
    for (const bad of ['', 'zz', 'A'.repeat(64), `../${'a'.repeat(61)}`, 'a'.repeat(100_000)]) {
      const answer = await streamCode(storeClient, bad);
      assert.equal(answer.code, status.INVALID_ARGUMENT, `${bad.slice(0, 20)}: ${answer.details}`);
      assert.ok(answer.details.length < 400, 'the error quotes a huge id briefly');
    }
  });

  it('unary store calls answer NOT_FOUND or INVALID_ARGUMENT, never INTERNAL', async () => {
    assert.equal((await unaryCode(storeClient, 'statCheckpoint', { id: ID })).code, status.NOT_FOUND);
    assert.equal((await unaryCode(storeClient, 'getLineage', { id: ID })).code, status.NOT_FOUND);
    assert.equal((await unaryCode(storeClient, 'statCheckpoint', { id: 'nope' })).code, status.INVALID_ARGUMENT);
    assert.equal((await unaryCode(storeClient, 'listCheckpoints', { prefix: '../', pageSize: 1, pageToken: '' })).code, status.INVALID_ARGUMENT);
    assert.equal((await unaryCode(storeClient, 'listCheckpoints', { prefix: '', pageSize: 1, pageToken: '../x' })).code, status.INVALID_ARGUMENT);
    assert.equal((await unaryCode(storeClient, 'getRef', { name: 'resume/none' })).code, status.OK);
  });

  it('refuses ref names that would escape refs/, and keeps what they aimed at intact', async () => {
    const remote = new GrpcCheckpointStore(storeAddress);
    try {
      for (const name of [`x/../../checkpoints/${ID}.json`, 'resume/../../x', '../x', '/x', 'a//b', 'a/./b', 'a b', 'r'.repeat(300)]) {
        const answer = await unaryCode(storeClient, 'setRef', { name, id: ID });
        assert.equal(answer.code, status.INVALID_ARGUMENT, `${name.slice(0, 40)}: ${answer.details}`);
        assert.equal((await unaryCode(storeClient, 'getRef', { name })).code, status.INVALID_ARGUMENT);
      }
      assert.equal((await unaryCode(storeClient, 'setRef', { name: 'resume/job_1', id: 'not-an-id' })).code, status.INVALID_ARGUMENT);
      await remote.setRef('resume/job_1', ID);
      assert.equal(await remote.getRef('resume/job_1'), ID);
    } finally {
      remote.close();
    }
  });

  it('the pruner refuses bad fractions, ids and prunable lists at once, and says NOT_FOUND for absent weights', async () => {
    const magnitude = (fraction: number): PruneRequest['method'] => ({
      $case: 'magnitude',
      value: { strategy: PruningStrategy.PRUNING_STRATEGY_GLOBAL_MAGNITUDE, fraction, rounds: 1, excludedLayers: [] },
    });
    const bad: [string, PruneRequest][] = [
      ['fraction 5', pruneRequest({ method: magnitude(5) })],
      ['fraction -1', pruneRequest({ method: magnitude(-1) })],
      ['fraction NaN', pruneRequest({ method: magnitude(Number.NaN) })],
      ['fraction 0', pruneRequest({ method: magnitude(0) })],
      ['fraction 1', pruneRequest({ method: magnitude(1) })],
      ['no prunable', pruneRequest({ prunable: [] })],
      ['bad weights id', pruneRequest({ weightsId: '../x' })],
      ['bad mask id', pruneRequest({ maskId: 'x'.repeat(100_000) })],
      ['no method', pruneRequest({ method: undefined })],
      ['random_like without mask', pruneRequest({ method: { $case: 'randomLike', value: { seed: 1 } } })],
    ];
    for (const [what, request] of bad) {
      const answer = await unaryCode(prunerClient, 'prune', request);
      assert.equal(answer.code, status.INVALID_ARGUMENT, `${what}: ${answer.details}`);
    }
    const absent = await unaryCode(prunerClient, 'prune', pruneRequest());
    assert.equal(absent.code, status.NOT_FOUND, absent.details);
  });
});
