import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, SYNTHETIC_SPEC, tempDir, writeSpec } from './helpers.ts';

interface Results {
  rows: { experiment: string; kind: string; round: number; maskId?: string; finalId: string; finalAccuracy: number; weightsRemaining: number }[];
}

async function results(dir: string): Promise<Results> {
  return JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
}

const idsOf = (r: Results) => r.rows.map((row) => [row.experiment, row.maskId ?? '', row.finalId]);

test('a sweep killed mid-training resumes from its last checkpoint and ends bit-identical to an uninterrupted one', async () => {
  const work = await tempDir('resume');
  const spec = await writeSpec(work, SYNTHETIC_SPEC);
  const straight = join(work, 'straight');
  const killed = join(work, 'killed');

  const first = await runCli(['run', spec, '--out', straight]);
  assert.equal(first.code, 0, first.stderr);
  const reference = await results(straight);
  assert.equal(reference.rows.length, 1 + 2 * 2 * 3, 'trunk + 2 rewind points × 2 rounds × (ticket + 2 controls)');

  // Kill once a few trainings are done: some experiments finished, one half-way with a resumable checkpoint.
  const interrupted = await runCli(['run', spec, '--out', killed], (stderr) => stderr.includes('[4/13]'));
  assert.equal(interrupted.signal, 'SIGKILL');
  const refs = await readdir(join(killed, 'checkpoints', 'refs', 'resume'));
  assert.ok(refs.length > 0, 'resumable checkpoints were saved before the kill');

  const resumed = await runCli(['run', spec, '--out', killed]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(idsOf(await results(killed)), idsOf(reference), 'same masks and final weights, by content id');
});

test('running a finished sweep again trains nothing and prints the same table', async () => {
  const work = await tempDir('rerun');
  const spec = await writeSpec(work, SYNTHETIC_SPEC);
  const out = join(work, 'run');
  const first = await runCli(['run', spec, '--out', out]);
  assert.equal(first.code, 0, first.stderr);
  const objects = async () => (await readdir(join(out, 'checkpoints', 'objects'), { recursive: true })).length;
  const before = await objects();
  const second = await runCli(['run', spec, '--out', out]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(await objects(), before, 'no checkpoint was written by the rerun');
  assert.equal(second.stdout, first.stdout);

  const shown = await runCli(['show', out]);
  assert.match(shown.stdout, /round\s+weights %\s+k=0it/);
  assert.match(shown.stdout, /\s2\s+64\.\d\d\s/, 'round 2 leaves 0.8² of the prunable weights');
});

test('Ctrl-C stops a sweep cleanly, and the same command resumes it', async () => {
  const work = await tempDir('sigint');
  const spec = await writeSpec(work, SYNTHETIC_SPEC);
  const out = join(work, 'run');
  const stopped = await runCli(['run', spec, '--out', out], (stderr) => stderr.includes('[2/13]'), 'SIGINT');
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stderr, /stopping; run the same command again to resume/);
  const resumed = await runCli(['run', spec, '--out', out]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal((await results(out)).rows.length, 13);
});
