import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DatasetHparams, TrainState } from '@rewind/core';
import { rngFor } from '@rewind/core';
import { train } from '@rewind/engine';
import { initialState, its, modelHp, request, TRAINING } from './requests.ts';

const lenet = modelHp('mnist_lenet_300_100');
const RECORDS_PER_FILE = 16;

/** Six CIFAR-10 binary files (five train, one test) of seeded random records: 80 training examples. */
async function writeCifar(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-augment-'));
  const files = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin');
  for (const [f, file] of files.entries()) {
    const rng = rngFor(f, 'cifar-fixture');
    const bytes = Uint8Array.from({ length: RECORDS_PER_FILE * 3073 }, (_, i) => (i % 3073 === 0 ? rng.int(10) : rng.int(256)));
    await writeFile(join(dir, file), bytes);
  }
  return dir;
}

const dirPromise = writeCifar();

/** 80 examples at batch 16: 5 iterations per epoch, 12 steps cross two epoch boundaries. */
async function cifarRequest(augment: boolean, overrides: Parameters<typeof request>[1] = {}) {
  const dataset: DatasetHparams = { name: 'cifar10', dir: await dirPromise, trainSubset: 0, ...(augment ? { augment: true as const } : {}) };
  const training = { ...TRAINING, batchSize: 16, warmup: its(2), milestones: [its(6)] };
  return request(lenet, { dataset, training, start: initialState(lenet, [32, 32, 3]), endStep: 12, ...overrides });
}

test('an augmented run resumed mid-way, or rewound to W_k, equals the uninterrupted run bit for bit', async () => {
  const checkpoints: TrainState[] = [];
  const snapshots = new Map<number, TrainState>();
  const whole = await train(
    await cifarRequest(true, {
      checkpointEvery: 7,
      onCheckpoint: (s) => void checkpoints.push(s),
      snapshotAt: [3],
      onSnapshot: (s) => void snapshots.set(s.step, s),
    }),
  );
  assert.deepEqual(
    checkpoints.map((c) => c.step),
    [7],
  );
  assert.deepEqual((await train(await cifarRequest(true, { start: checkpoints[0]! }))).final, whole.final);
  assert.deepEqual((await train(await cifarRequest(true, { start: snapshots.get(3)! }))).final, whole.final);

  const plain = await train(await cifarRequest(false));
  assert.notDeepEqual(plain.final.params['fc1.kernel'], whole.final.params['fc1.kernel'], 'augmentation changes what is trained on');
});

test('augment on a dataset without a recipe is refused before training', async () => {
  const dataset: DatasetHparams = { name: 'synthetic', dir: '', trainSubset: 0, augment: true };
  await assert.rejects(train(request(lenet, { dataset })), /dataset synthetic has no augmentation recipe/);
});
