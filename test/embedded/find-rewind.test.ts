import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, SYNTHETIC_SPEC, tempDir, writeSpec } from './helpers.ts';

const withStability = (threshold: number) =>
  `${SYNTHETIC_SPEC.replace('rewind: [0it, 8it]', 'rewind: [0it, 8it, 16it]')}stability: { copies: 2, alpha_points: 5, threshold: ${threshold} }\n`;

test('find-rewind stops at the first stable rewind point when every point is stable', async () => {
  const work = await tempDir('find-stable');
  const out = join(work, 'run');
  const r = await runCli(['find-rewind', await writeSpec(work, withStability(1)), '--round', '1', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /earliest stable rewind point: k = 0it \(round 1; 1 probes of 3 candidates, \d+ trainings run\)/);
  const saved = JSON.parse(await readFile(join(out, 'find-rewind-round-1.json'), 'utf8'));
  assert.equal(saved.chosen, 0);
  assert.deepEqual(saved.candidates, [0, 8, 16]);
});

test('find-rewind reports that no point is stable, probing each candidate at most once, and reuses its work', async () => {
  const work = await tempDir('find-none');
  const spec = await writeSpec(work, withStability(0));
  const out = join(work, 'run');
  const first = await runCli(['find-rewind', spec, '--round', '1', '--out', out]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /no saved rewind point is stable/);
  const saved = JSON.parse(await readFile(join(out, 'find-rewind-round-1.json'), 'utf8'));
  assert.equal(saved.chosen, null);
  const probed = saved.probes.map((p: { step: number }) => p.step);
  assert.equal(new Set(probed).size, probed.length);
  assert.ok(saved.trainings > 0);

  const again = await runCli(['find-rewind', spec, '--round', '1', '--out', out]);
  assert.match(again.stdout, /0 trainings run/, 'the second search finds every training in the ledger');
});
