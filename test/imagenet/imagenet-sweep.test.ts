/**
 * `rewind run` on an ImageNet-layout dataset: generated JPEGs packed into tar shards, streamed through the
 * decode pool from a folder and from S3. The index supplies the classes and the training-set size; a kill and
 * a rerun, or a dev cluster reading the same shards from S3, end bit-identical, under one sweep id and with one
 * table; bad data specs exit 2 at once. The model is ResNet-20 at 32×32 (0.27 M weights; ResNet-18 has 11 M):
 * what is tested here is the data's path through a sweep, and resnet-learns.test.ts trains the ImageNet ResNets.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CoordinatorClient } from '@rewind/cluster-client';
import { type LocalServer, S3RVER_CREDENTIALS, startCluster, startS3rver } from '@rewind/dev-cluster';
import { generateImageFolder, packImageFolder } from '@rewind/image-data';
import { parse } from 'yaml';
import { runCli, tempDir, writeSpec } from '../embedded/helpers.ts';
import { clusterFingerprint } from '../integration/cluster-helpers.ts';

interface Results {
  rows: { experiment: string; kind: string; round: number; maskId?: string; finalId: string; finalAccuracy: number }[];
}

const results = async (dir: string): Promise<Results> => JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
const idsOf = (r: Results) => r.rows.map((row) => [row.experiment, row.maskId ?? '', row.finalId]);
const sweepIdIn = (stderr: string) => /\((sweep_[0-9a-f]+)\)/.exec(stderr)?.[1];

const spec = (dir: string, extra = '') => `
name: imagenet-test
model: { name: cifar_resnet_20 }
seeds: [1]
dataset:
  name: imagenet
  dir: ${dir}
  image_size: 32
${extra}
training: { lr: 0.05, momentum: 0.9, batch_size: 16, steps: 3ep, eval_every: 3ep, data_order_seed: 0 }
pruning: { fraction: 0.2, rounds: 1, exclude: [fc.kernel] }
rewind: [1ep]
controls: [random_pruning]
checkpoint_every: 6it
`;

let work: string;
let shards: string;
let s3: LocalServer;
before(async () => {
  work = await tempDir('imagenet-sweep');
  await generateImageFolder(join(work, 'folder'), { classes: 4, trainPerClass: 16, valPerClass: 4, minSide: 40, maxSide: 120, quality: 90, seed: 3 });
  shards = join(work, 'shards');
  await packImageFolder(join(work, 'folder'), shards, { shardBytes: 40_000, seed: 0 });
  s3 = await startS3rver(join(work, 's3'));
});
after(async () => {
  await s3?.child.stop();
  await rm(work, { recursive: true, force: true });
});

let straight: Results;
let straightSweep: string | undefined;

test('a sweep on local shards runs end to end; the index gives classes and training-set size, pinned in the run', async () => {
  const out = join(work, 'straight');
  const run = await runCli(['run', await writeSpec(join(work), spec(shards)), '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  straight = await results(out);
  straightSweep = sweepIdIn(run.stderr);
  assert.ok(straightSweep);
  assert.deepEqual(
    straight.rows.map((r) => [r.kind, r.round]),
    [
      ['dense', 0],
      ['ticket', 1],
      ['random_pruning', 1],
    ],
  );
  for (const row of straight.rows) assert.ok(row.finalAccuracy >= 0 && row.finalAccuracy <= 1, `accuracy ${row.finalAccuracy}`);
  const kept = await readFile(join(out, 'spec.yaml'), 'utf8');
  assert.match(kept, /classes: 4/);
  assert.match(kept, /train_size: 64/);
  assert.match(run.stdout, /cifar_resnet_20 on imagenet/);
});

test('killed while the ticket trains from W_k and run again, the sweep ends bit-identical', async () => {
  const out = join(work, 'killed');
  const path = await writeSpec(join(work), spec(shards));
  const killed = await runCli(['run', path, '--out', out], (stderr) => stderr.includes('[1/3]'));
  assert.equal(killed.signal, 'SIGKILL');
  const resumed = await runCli(['run', path, '--out', out]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(idsOf(await results(out)), idsOf(straight));
});

test('a dev cluster streaming the same shards from S3 trains bit-identical weights under the same sweep id, and shows the same table', async () => {
  const s3Env = { S3_URL: s3.url, S3_ACCESS_KEY: S3RVER_CREDENTIALS.accessKey, S3_SECRET_KEY: S3RVER_CREDENTIALS.secretKey };
  Object.assign(process.env, s3Env);
  const pack = await runCli(['data', 'pack', '--from', join(work, 'folder'), '--to', 's3://shards/tiny', '--shard-size', '40000']);
  assert.equal(pack.code, 0, pack.stderr);
  // The coordinator reads the index, the trainers the shards; the checkpoint store keeps its own S3.
  const cluster = await startCluster({ dir: join(work, 'cluster'), trainers: 1, env: { ...s3Env, REWIND_THREADS: '1' } });
  try {
    const client = new CoordinatorClient(cluster.addresses.coordinator, { credentials: cluster.credentials, retry: { attempts: 20, baseDelayMs: 250 } });
    const { sweepId } = await client.submit(JSON.stringify(parse(spec('s3://shards/tiny'))));
    let finished = '';
    for await (const e of client.watch(sweepId)) if (e.event?.$case === 'sweepFinished') finished = e.event.value.error || String(e.event.value.state);
    client.close();
    assert.equal(finished, '2', 'succeeded');
    assert.equal(sweepId, straightSweep, 'where the data lives is not part of the sweep id');
    const fingerprint = await clusterFingerprint(cluster, straight.rows.map((r) => r.experiment));
    assert.deepEqual(
      straight.rows.map((r) => [r.experiment, fingerprint[r.experiment]?.maskId ?? '', fingerprint[r.experiment]?.finalId]),
      idsOf(straight),
    );
    const shown = await runCli(['show', sweepId, '--coordinator', cluster.addresses.coordinator], undefined, undefined, cluster.cliEnv);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, (await runCli(['show', join(work, 'straight')])).stdout);
  } finally {
    await cluster.stop();
  }
});

test('data that does not match the spec, a missing index or a too-small image size exit 2 before any training', async () => {
  const cases: [string, RegExp][] = [
    [spec(shards, '  classes: 10'), /dataset\.classes: 10, but the index at .* has 4/],
    [spec(join(work, 'nowhere')), /cannot read the shard index/],
    [spec(shards).replace('image_size: 32', 'image_size: 16'), /dataset\.image_size: 16 is out of range/],
    [spec('s3://UPPER/x'), /not an S3 location/],
  ];
  for (const [text, message] of cases) {
    const out = join(work, 'refused');
    const run = await runCli(['run', await writeSpec(join(work), text), '--out', out]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!existsSync(out), 'nothing was written');
  }
});
