import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { prune } from '@rewind/core';
import { parseSweepSpec } from '@rewind/kinds';
import type { TrainJob } from '@rewind/runner';
import { LocalDirStore, LocalTrainer } from '../src/index.ts';

const spec = parseSweepSpec({
  name: 't',
  model: { name: 'mnist_lenet_300_100' },
  dataset: { name: 'synthetic' },
  training: { lr: 0.05, momentum: 0.9, batch_size: 32, steps: '24it', eval_every: '8it' },
  pruning: { rounds: 1 },
});

async function fixture() {
  const store = new LocalDirStore(await mkdtemp(join(tmpdir(), 'rewind-trainer-')));
  const trainer = new LocalTrainer(store);
  const job = (over: Partial<TrainJob>): TrainJob => ({
    id: 'job',
    model: { name: 'mnist_lenet_300_100', width: 1, initSeed: 3 },
    dataset: spec.dataset,
    training: spec.training,
    start: { initSeed: 3, step: 0 },
    endStep: 24,
    snapshotAt: [],
    checkpointEvery: 0,
    lineage: { experiment: 'job' },
    ...over,
  });
  return { store, trainer, job };
}

test('rewinding restores W_k bit for bit, masked, with fresh momentum and the step at k', async () => {
  const { store, trainer, job } = await fixture();
  const trunk = await trainer.train(job({ id: 'trunk', snapshotAt: [8] }));
  const wk = (await store.getState(trunk.snapshotIds['8']!)).value;
  assert.equal(wk.step, 8);
  const trained = (await store.getState(trunk.finalId)).value;
  const mask = prune(trained.params, undefined, spec.pruning, trunk.prunable);
  const maskId = await store.putMask(mask, { kind: 'mask', experiment: 'm' });

  // Zero steps after the rewind: the start state itself comes back.
  const rewound = await trainer.train(job({ id: 'rewound', start: { checkpointId: trunk.snapshotIds['8']! }, maskId, endStep: 8 }));
  const state = (await store.getState(rewound.finalId)).value;
  assert.equal(state.step, 8);
  for (const [name, t] of Object.entries(wk.params)) {
    const expected = Float32Array.from(t.data, (v, i) => (mask[name] && mask[name]!.data[i] === 0 ? 0 : v));
    assert.deepEqual(new Uint8Array(state.params[name]!.data.buffer), new Uint8Array(expected.buffer), name);
  }
  assert.deepEqual(state.buffers, wk.buffers);
});

test('the subnet trains with pruned weights exactly zero, and the same job gives the same bytes', async () => {
  const { store, trainer, job } = await fixture();
  const init = await trainer.train(job({ id: 'init', endStep: 0 }));
  const params = (await store.getState(init.finalId)).value.params;
  const mask = prune(params, undefined, { ...spec.pruning, fraction: 0.5 }, init.prunable);
  const maskId = await store.putMask(mask, { kind: 'mask', experiment: 'm' });
  const a = await trainer.train(job({ id: 'a', maskId }));
  const b = await trainer.train(job({ id: 'a', maskId }));
  assert.equal(a.finalId, b.finalId, 'bit-identical final state');
  const final = (await store.getState(a.finalId)).value;
  for (const [name, m] of Object.entries(mask)) {
    const w = final.params[name]!.data;
    for (let i = 0; i < w.length; i++) if (m.data[i] === 0) assert.ok(Object.is(w[i], 0) || Object.is(w[i], -0), `${name}[${i}] = ${w[i]}`);
  }
  assert.ok(a.evals.at(-1)!.accuracy > 0.3, `learns something: ${a.evals.at(-1)!.accuracy}`);
});

test('a corrupt resume checkpoint is passed over: the job trains from its start, to the same bytes, and says so', async () => {
  const { store, job } = await fixture();
  const straight = await new LocalTrainer(store).train(job({ id: 'straight', lineage: { experiment: 'straight' } }));
  // A resume point that was written, then damaged on disk.
  const resumeId = await store.putState((await store.getState(straight.finalId)).value, { kind: 'resume', experiment: 'job', step: 24 });
  const path = join(store.dir, 'objects', resumeId.slice(0, 2), `${resumeId}.safetensors`);
  const bytes = await readFile(path);
  bytes[bytes.length - 1]! ^= 0xff;
  await writeFile(path, bytes);
  await store.setRef('resume/job', resumeId);
  const warnings: string[] = [];
  const again = await new LocalTrainer(store, { warn: (line) => warnings.push(line) }).train(job({ lineage: { experiment: 'straight' } }));
  assert.equal(again.resumedFrom, 0);
  assert.equal(again.finalId, straight.finalId, 'the same final weights as the uninterrupted run');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, new RegExp(`resume checkpoint ${resumeId} is corrupt.*training it from its start`));
});
