import assert from 'node:assert/strict';
import { test } from 'node:test';
import { train } from '@rewind/engine';
import { initialState, its, modelHp, TRAINING } from './requests.ts';

test('LeNet-300-100 on real Fashion-MNIST: a few hundred steps on a subset reach well above chance', async () => {
  const model = modelHp('mnist_lenet_300_100');
  const steps = 300;
  const outcome = await train({
    model,
    dataset: { name: 'fashion_mnist', dir: '', trainSubset: 6000 },
    training: { ...TRAINING, lr: 0.05, batchSize: 64, steps: its(steps), warmup: its(0), milestones: [] },
    start: initialState(model, [28, 28, 1]),
    endStep: steps,
  });
  const final = outcome.evals.at(-1)!;
  // Chance is 10%; this budget reaches about 80% on the full 10,000-image test set.
  assert.ok(final.accuracy > 0.7, `test accuracy ${final.accuracy}`);
});
