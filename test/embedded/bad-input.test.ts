import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { contentId } from '@rewind/safetensors';
import { runCli, SYNTHETIC_SPEC, tempDir, writeSpec } from './helpers.ts';

test('a wrong spec field is named with its allowed values, and nothing runs', async () => {
  const work = await tempDir('badspec');
  const spec = await writeSpec(work, SYNTHETIC_SPEC.replace('strategy: global_magnitude', '').replace('pruning: { rounds: 2', 'pruning: { strategy: biggest_first, rounds: 2'));
  const r = await runCli(['run', spec, '--out', join(work, 'run')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pruning\.strategy: unknown value "biggest_first"; allowed values are global_magnitude, layerwise_magnitude/);
});

test('an excluded layer the model does not have is refused before any training', async () => {
  const work = await tempDir('badlayer');
  const spec = await writeSpec(work, SYNTHETIC_SPEC.replace('exclude: [fc.kernel]', 'exclude: [fc9.kernel]'));
  const r = await runCli(['run', spec, '--out', join(work, 'run')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pruning\.exclude: fc9\.kernel not a prunable layer of mnist_lenet_300_100; allowed values are fc1\.kernel, fc2\.kernel, fc\.kernel/);
});

test('a model too deep for the dataset\'s images is refused before any training, not with a stack trace', async () => {
  const work = await tempDir('badmodel');
  const spec = await writeSpec(work, SYNTHETIC_SPEC.replace('exclude: [fc.kernel]', 'exclude: []').replace(/name: mnist_lenet_300_100/, 'name: imagenet_resnet_18'));
  const r = await runCli(['run', spec, '--out', join(work, 'run')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /model\.name: imagenet_resnet_18 needs inputs of at least 32x32 .*synthetic has 16x16/);
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
});

test('a learning rate that blows training up ends in rows that say where it diverged, not a silent chance accuracy', async () => {
  const work = await tempDir('diverge');
  const spec = await writeSpec(work, SYNTHETIC_SPEC.replace('lr: 0.05', 'lr: 100'));
  const r = await runCli(['run', spec, '--out', join(work, 'run')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /dense test accuracy: diverged@16/);
  assert.match(r.stdout, /diverged: trunk_[0-9a-f]{16} \(dense, round 0\) at step 16: its test loss is not finite/);
  const csv = await readFile(join(work, 'run', 'results.csv'), 'utf8');
  assert.match(csv.split('\n')[0]!, /,divergedAt$/);
  assert.ok(csv.trim().split('\n').slice(1).every((line) => line.endsWith(',16')), csv);
});

test('a missing dataset says where it looked and how to get it', async () => {
  const work = await tempDir('nodata');
  const spec = await writeSpec(work, SYNTHETIC_SPEC.replace('dataset: { name: synthetic }', `dataset: { name: fashion_mnist, dir: ${join(work, 'nowhere')} }`));
  const r = await runCli(['run', spec, '--out', join(work, 'run')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /nowhere/);
  assert.match(r.stderr, /apt-get install dataset-fashion-mnist/);
});

test('a corrupted checkpoint is never used: the trunk that produced it recomputes it, and the sweep ends bit-identical', async () => {
  const work = await tempDir('corrupt');
  const straight = join(work, 'straight');
  const out = join(work, 'run');
  assert.equal((await runCli(['run', await writeSpec(work, SYNTHETIC_SPEC), '--out', out])).code, 0);
  // A longer sweep needs W_k again for its new rounds.
  const longer = await writeSpec(work, SYNTHETIC_SPEC.replace('rounds: 2', 'rounds: 3'));
  assert.equal((await runCli(['run', longer, '--out', straight])).code, 0);
  const rows = async (dir: string) => (JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')).rows as { rewindStep: number; rewindId?: string; wallMs?: number }[]).map(({ wallMs: _, ...row }) => row);
  const rewindId = (await rows(out)).find((r) => r.rewindStep === 8 && r.rewindId)!.rewindId!;
  const file = join(out, 'checkpoints', 'objects', rewindId.slice(0, 2), `${rewindId}.safetensors`);
  const bytes = await readFile(file);
  bytes[bytes.length - 5]! ^= 0x01;
  await writeFile(file, bytes);

  const r = await runCli(['run', longer, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`checkpoint ${rewindId} is corrupt; recomputing it from trunk_[0-9a-f]{16}`));
  assert.deepEqual(await rows(out), await rows(straight), 'the same rows as a sweep that never saw the corruption');
  assert.equal(contentId(await readFile(file)), rewindId, 'the stored W_k is whole again');
});

test('unknown commands and missing arguments print the usage', async () => {
  const r = await runCli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  assert.match(r.stderr, /run \[options\] <spec\.yaml>/);
  const show = await runCli(['show', '/nonexistent/run']);
  assert.equal(show.code, 2);
  assert.match(show.stderr, /cannot read \/nonexistent\/run\/results\.json: no such file/);
});

test('a dead coordinator is retried, then named', async () => {
  const r = await runCli(['tickets', 'sweep_0', '--coordinator', '127.0.0.1:1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /coordinator at 127\.0\.0\.1:1 is unavailable after \d+ attempts/);
  const none = await runCli(['watch', 'sweep_0'], undefined);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /pass --coordinator host:port or set REWIND_COORDINATOR/);
});

test('rewind dashboard: a directory that is not a run, a bad port, or the network without a token is one clear line, exit 2', async () => {
  const work = await tempDir('dashboard-bad');
  const cases: [string[], RegExp][] = [
    [['dashboard', work], /cannot read .*spec\.yaml: no spec\.yaml; is it a run directory of `rewind run`\?/],
    [['dashboard', work, '--port', '70000'], /--port: "70000" is not a port number/],
    [['dashboard', work, '--port', 'http'], /--port: "http" is not a port number/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
  }
  await writeSpec(work, SYNTHETIC_SPEC);
  const open = await runCli(['dashboard', work, '--host', '0.0.0.0', '--port', '0']);
  assert.equal(open.code, 2, open.stderr);
  assert.match(open.stderr, /open to the network: set REWIND_DASHBOARD_TOKEN, or listen on 127\.0\.0\.1/);
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  try {
    const busy = await runCli(['dashboard', work, '--port', String((taken.address() as AddressInfo).port)]);
    assert.equal(busy.code, 2, busy.stderr);
    assert.match(busy.stderr, /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\); choose another port/);
  } finally {
    taken.close();
  }
});
