import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir, writeSpec } from './helpers.ts';

// A short real-data sweep: LeNet-300-100 on a Fashion-MNIST subset, dense and one pruned round.
const SPEC = `
name: parity
model: { name: mnist_lenet_300_100 }
dataset: { name: fashion_mnist, train_subset: 6000 }
training: { lr: 0.1, batch_size: 60, steps: 50it, eval_every: 50it }
pruning: { rounds: 1, exclude: [fc.kernel] }
rewind: [0it]
`;

async function runOn(backend: string, spec: string, out: string) {
  const r = await runCli(['run', spec, '--out', out], undefined, undefined, { REWIND_BACKEND: backend });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`training backend ${backend}`));
}

test('the native fast path trains to the same accuracy band as the reference cpu backend', async () => {
  const work = await tempDir('parity');
  const spec = await writeSpec(work, SPEC);
  const accuracies: Record<string, number[]> = {};
  for (const backend of ['cpu', 'rewind-native']) {
    await runOn(backend, spec, join(work, backend));
    const results = JSON.parse(await readFile(join(work, backend, 'results.json'), 'utf8'));
    assert.deepEqual(results.backends, [backend]);
    accuracies[backend] = results.rows.map((r: { finalAccuracy: number }) => r.finalAccuracy);
  }
  const [cpu, native] = [accuracies.cpu!, accuracies['rewind-native']!];
  for (let i = 0; i < cpu.length; i++) {
    assert.ok(cpu[i]! > 0.6, `cpu learns: ${cpu[i]}`);
    assert.ok(Math.abs(cpu[i]! - native[i]!) < 0.03, `row ${i}: cpu ${cpu[i]} vs rewind-native ${native[i]}`);
  }
});
