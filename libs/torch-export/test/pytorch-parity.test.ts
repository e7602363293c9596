/**
 * A ticket trained by `rewind run`, exported by `rewind export --format torch`, loaded strictly into the
 * matching PyTorch module (Debian python3-torch) scores the test accuracy Rewind reported, on the same data.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { syntheticDataset } from '@rewind/data';
import { rewindCommand, scaled } from '@rewind/dev-cluster';
import { decode, type Entry, encode } from '@rewind/safetensors';

const REWIND = await rewindCommand();
const PYTHON_LOADER = new URL('../python/rewind_torch.py', import.meta.url).pathname;

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: scaled(300_000), killSignal: 'SIGKILL', env: { ...process.env, REWIND_THREADS: '1' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const spec = (model: string, steps: number) => `
name: torch-export-${model}
model: { name: ${model} }
dataset: { name: synthetic }
training: { lr: 0.05, momentum: 0.9, weight_decay: 0.0001, batch_size: 32, steps: ${steps}it, eval_every: ${steps}it }
pruning: { rounds: 1, exclude: [fc.kernel] }
rewind: [0it]
controls: []
checkpoint_every: ${steps}it
`;

/** The synthetic test split both sides evaluate: NHWC images and labels. */
async function writeTestData(path: string): Promise<void> {
  const { test: split, inputShape } = syntheticDataset();
  const entries: [string, Entry][] = [
    ['images', { dtype: 'F32', shape: [split.count, ...inputShape], data: split.images }],
    ['labels', { dtype: 'U8', shape: [split.count], data: split.labels }],
  ];
  await writeFile(path, encode(entries, {}));
}

interface Row {
  kind: string;
  round: number;
  copy: number;
  finalAccuracy: number;
  finalId: string;
  maskId?: string;
}

for (const [model, steps] of [
  ['mnist_lenet_300_100', 48],
  ['cifar_resnet_20', 24],
] as const) {
  test(`${model}: the exported ticket scores Rewind's test accuracy in PyTorch`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-torch-export-'));
    const specPath = join(dir, 'spec.yaml');
    await writeFile(specPath, spec(model, steps));
    const runDir = join(dir, 'run');
    await run(REWIND.command, [...REWIND.args, 'run', specPath, '--out', runDir]);
    const rows: Row[] = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')).rows;
    const ticket = rows.find((r) => r.kind === 'ticket' && r.round === 1 && r.copy === 0);
    assert.ok(ticket?.maskId, 'the run has a round-1 ticket with a mask');
    const data = join(dir, 'test-data.safetensors');
    await writeTestData(data);

    // By its weights' id (prune-style masks), and by a prefix of its mask's id (plain weights).
    const pruneStyle = join(dir, 'ticket-prune.safetensors');
    await run(REWIND.command, [...REWIND.args, 'export', ticket.finalId, '--run', runDir, '--format', 'torch', '--out', pruneStyle]);
    const plain = join(dir, 'ticket-plain.safetensors');
    await run(REWIND.command, [...REWIND.args, 'export', ticket.maskId.slice(0, 12), '--run', runDir, '--format', 'torch', '--masks', 'none', '--out', plain]);

    const { entries, metadata } = decode(await readFile(pruneStyle));
    assert.equal(metadata.format, 'pt');
    const masks = [...entries].filter(([name]) => name.endsWith('.weight_mask'));
    assert.ok(masks.length > 0 && masks.every(([, e]) => e.dtype === 'BOOL'), 'pruned layers carry BOOL masks');
    assert.ok(
      masks.some(([, e]) => (e.data as Uint8Array).includes(0)),
      'some weights are pruned',
    );
    assert.ok(entries.get('fc.weight_mask')?.data.every((kept) => kept === 1), 'the output layer is never pruned');

    const expected = 100 * ticket.finalAccuracy;
    for (const file of [pruneStyle, plain]) {
      const result = JSON.parse(await run('/usr/bin/python3', [PYTHON_LOADER, 'evaluate', model, file, data]));
      assert.equal(result.count, syntheticDataset().test.count);
      assert.ok(Math.abs(result.accuracy - expected) <= 0.1, `${file}: PyTorch ${result.accuracy}% vs Rewind ${expected}%`);
    }
  });
}
