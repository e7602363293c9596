/**
 * Fuzzing the real checkpoint-store and pruner processes with malformed requests (fast-check): every call
 * answers before a short deadline with OK, INVALID_ARGUMENT or NOT_FOUND (never INTERNAL, never a hang),
 * and both servers are still up and serving afterwards.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Client, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { type Child, freePort, type LocalServer, S3RVER_CREDENTIALS, scaled, startS3rver } from '@rewind/dev-cluster';
import { CheckpointStoreServiceClient, channelOptions, insecure, PrunerServiceClient } from '@rewind/rpc';
import fc from 'fast-check';
import { plaintextService, tempDir } from './cluster-helpers.ts';

const CASES_PER_TARGET = 300;
const ANSWERS = new Set([status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND]);

type Answer = { code: number; details: string };
type Unary = (req: unknown, md: Metadata, options: object, callback: (err: ServiceError | null) => void) => void;

function callUnary(client: Client, method: string, request: unknown): Promise<Answer> {
  return new Promise((resolve) => {
    const fn = (client as unknown as Record<string, Unary>)[method]!.bind(client);
    fn(request, new Metadata(), { deadline: Date.now() + scaled(10_000) }, (err) =>
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' }),
    );
  });
}

function callGetCheckpoint(client: CheckpointStoreServiceClient, id: string): Promise<Answer> {
  return new Promise((resolve) => {
    const stream = client.getCheckpoint({ id }, new Metadata(), { deadline: Date.now() + scaled(10_000) });
    stream.on('data', () => {});
    stream.on('error', (err: ServiceError) => resolve({ code: err.code, details: err.details }));
    stream.on('end', () => resolve({ code: status.OK, details: '' }));
  });
}

/** An upload of arbitrary pieces, with or without a header of any declared size and kind. */
function callPutCheckpoint(client: CheckpointStoreServiceClient, header: { payload: number; size: number } | undefined, pieces: Uint8Array[]): Promise<Answer> {
  return new Promise((resolve) => {
    const call = client.putCheckpoint(new Metadata(), { deadline: Date.now() + scaled(10_000) }, (err) =>
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' }),
    );
    if (header) call.write({ part: { $case: 'header', value: header } });
    for (const piece of pieces) call.write({ part: { $case: 'data', value: Buffer.from(piece) } });
    call.end();
  });
}

/** Strings a caller might send: ids almost right, path tricks, unicode, and huge ones. */
const nasty = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{64}$/),
  fc.constantFrom('fc1.kernel', 'fc.kernel', 'resume/job_1'),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.stringMatching(/^[0-9a-f]{60,68}$/),
  fc.constantFrom('', '..', '../..', '/etc/passwd', 'x/../../checkpoints/a.json', 'resume/../../x', 'a//b', '\u0000', '%2e%2e/x', 'refs/'),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => 'a'.repeat(n)),
);
const float = fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 5, -1, 1e308, 0.2));
const uint32 = fc.nat({ max: 0xffffffff });

const storeRequest = fc.oneof(
  fc.record({ method: fc.constant('statCheckpoint'), request: fc.record({ id: nasty }) }),
  fc.record({ method: fc.constant('getLineage'), request: fc.record({ id: nasty }) }),
  fc.record({ method: fc.constant('getRef'), request: fc.record({ name: nasty }) }),
  fc.record({ method: fc.constant('setRef'), request: fc.record({ name: nasty, id: nasty }) }),
  fc.record({ method: fc.constant('listCheckpoints'), request: fc.record({ prefix: nasty, pageSize: uint32, pageToken: nasty }) }),
  fc.record({ method: fc.constant('getCheckpoint'), request: fc.record({ id: nasty }) }),
  fc.record({
    method: fc.constant('putCheckpoint'),
    request: fc.record({
      header: fc.option(fc.record({ payload: fc.nat({ max: 5 }), size: fc.nat({ max: 1 << 20 }) }), { nil: undefined }),
      pieces: fc.array(fc.uint8Array({ maxLength: 2048 }), { maxLength: 4 }),
    }),
  }),
);

const pruneRequest = fc.record({
  weightsId: nasty,
  maskId: fc.option(nasty, { nil: undefined }),
  prunable: fc.array(nasty, { maxLength: 5 }),
  method: fc.option(
    fc.oneof(
      fc.record({
        $case: fc.constant('magnitude' as const),
        value: fc.record({ strategy: fc.nat({ max: 4 }), fraction: float, rounds: uint32, excludedLayers: fc.array(nasty, { maxLength: 3 }) }),
      }),
      fc.record({ $case: fc.constant('randomLike' as const), value: fc.record({ seed: uint32 }) }),
    ),
    { nil: undefined },
  ),
  lineage: fc.option(fc.record({ experiment: nasty, kind: fc.nat({ max: 9 }), trunk: fc.option(nasty, { nil: undefined }) }), { nil: undefined }),
});

describe('fuzzing the real gRPC servers', () => {
  let dir: string;
  let s3: LocalServer;
  let store: Child;
  let pruner: Child;
  let storeClient: CheckpointStoreServiceClient;
  let prunerClient: PrunerServiceClient;
  const tally: Record<string, Record<string, number>> = { 'checkpoint-store': {}, pruner: {} };
  const count = (target: string, answer: Answer) => {
    const name = status[answer.code] ?? String(answer.code);
    tally[target]![name] = (tally[target]![name] ?? 0) + 1;
  };

  before(async () => {
    dir = await tempDir('rpc-fuzz');
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
    storeClient = new CheckpointStoreServiceClient(`127.0.0.1:${storePort}`, insecure(), channelOptions());
    prunerClient = new PrunerServiceClient(`127.0.0.1:${prunerPort}`, insecure(), channelOptions());
  });

  after(async () => {
    process.stderr.write(`rpc fuzz: answers per target ${JSON.stringify(tally)}\n`);
    storeClient?.close();
    prunerClient?.close();
    await Promise.all([pruner?.stop(), store?.stop()]);
    await s3?.child.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`checkpoint-store: ${CASES_PER_TARGET} malformed requests, each a clear status`, async () => {
    await fc.assert(
      fc.asyncProperty(storeRequest, async ({ method, request }) => {
        const answer =
          method === 'getCheckpoint'
            ? await callGetCheckpoint(storeClient, (request as { id: string }).id)
            : method === 'putCheckpoint'
              ? await callPutCheckpoint(storeClient, (request as { header?: { payload: number; size: number } }).header, (request as { pieces: Uint8Array[] }).pieces)
              : await callUnary(storeClient, method, request);
        count('checkpoint-store', answer);
        assert.ok(ANSWERS.has(answer.code), `${method}: ${status[answer.code]} ${answer.details.slice(0, 300)}`);
        assert.ok(answer.details.length < 2000, 'errors quote bad input briefly');
      }),
      { numRuns: CASES_PER_TARGET, seed: 16 },
    );
    assert.equal(store.process.exitCode, null, 'the checkpoint-store is still running');
  });

  it(`pruner: ${CASES_PER_TARGET} malformed requests, each a clear status`, async () => {
    await fc.assert(
      fc.asyncProperty(pruneRequest, async (request) => {
        const answer = await callUnary(prunerClient, 'prune', request);
        count('pruner', answer);
        assert.ok(ANSWERS.has(answer.code), `prune: ${status[answer.code]} ${answer.details.slice(0, 300)}`);
        assert.ok(answer.details.length < 2000, 'errors quote bad input briefly');
      }),
      { numRuns: CASES_PER_TARGET, seed: 16 },
    );
    assert.equal(pruner.process.exitCode, null, 'the pruner is still running');
  });
});
