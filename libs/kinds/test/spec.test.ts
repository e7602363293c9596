import assert from 'node:assert/strict';
import { test } from 'node:test';
import { experimentId, planSweep, SpecError } from '@rewind/core';
import { parseSweepSpec as parseSpec } from '../src/index.ts';

const valid = () => ({
  name: 'quick',
  model: { name: 'mnist_lenet_300_100' },
  dataset: { name: 'fashion_mnist' },
  training: { lr: 0.1, momentum: 0.9, batch_size: 60, steps: '2ep', eval_every: '1ep' },
  pruning: { rounds: 3, exclude: ['fc3.kernel'] },
  rewind: ['0it', '100it'],
  controls: ['random_reinit'],
  seeds: [1],
});

function issuesOf(raw: unknown): { field: string; message: string }[] {
  try {
    parseSpec(raw);
  } catch (e) {
    assert.ok(e instanceof SpecError);
    return [...e.issues];
  }
  assert.fail('expected a SpecError');
}

test('a valid spec gets defaults filled in', () => {
  const spec = parseSpec(valid());
  assert.equal(spec.pruning.fraction, 0.2);
  assert.equal(spec.pruning.strategy, 'global_magnitude');
  assert.equal(spec.dataset.dir, '/usr/share/datasets/fashion-mnist');
  assert.deepEqual(spec.training.steps, { epochs: 2, iterations: 0 });
  assert.equal(spec.stability, undefined);
});

test('an unknown enum value names the field and the allowed values', () => {
  const raw = valid();
  raw.model.name = 'mnist_lenet_999';
  const [issue] = issuesOf(raw);
  assert.equal(issue!.field, 'model.name');
  assert.match(issue!.message, /unknown value "mnist_lenet_999"; allowed values are mnist_lenet_300_100, mnist_conv_2/);
});

test('every problem is reported at once, each with its field', () => {
  const raw = { ...valid(), training: { lr: -1, batch_size: 6.5, steps: 'forever', colour: 'red' }, controls: ['random_magic'] };
  const fields = issuesOf(raw).map((i) => i.field).sort();
  assert.deepEqual(fields, ['controls[0]', 'training.batch_size', 'training.colour', 'training.lr', 'training.steps']);
  assert.match(issuesOf(raw).find((i) => i.field === 'training.colour')!.message, /unknown field; allowed fields are optimizer, lr/);
  assert.match(issuesOf(raw).find((i) => i.field === 'training.steps')!.message, /500it, 4ep or 4ep100it/);
});

test('a missing section is named', () => {
  const { pruning: _, ...raw } = valid();
  assert.deepEqual(issuesOf(raw).map((i) => i.field), ['pruning']);
});

test('experiment ids depend on hyper-parameters only, not on key order', () => {
  assert.equal(experimentId('x', { a: 1, b: [1, 2] }), experimentId('x', { b: [1, 2], a: 1 }));
  assert.notEqual(experimentId('x', { a: 1 }), experimentId('x', { a: 2 }));
});

test('the plan has one trunk per seed and one IMP chain per rewind point, with the controls', () => {
  const plan = planSweep(parseSpec({ ...valid(), seeds: [1, 2] }));
  assert.equal(plan.iterationsPerEpoch, 1000);
  assert.equal(plan.endStep, 2000);
  assert.equal(plan.trunks.length, 2);
  assert.equal(plan.chains.length, 4);
  assert.deepEqual(plan.trunks[0]!.rewindSteps, [0, 100]);
  const chain = plan.chains[0]!;
  assert.equal(chain.rounds.length, 4);
  assert.deepEqual(chain.rounds[1]!.controls.map((c) => c.kind), ['random_reinit']);
  assert.equal(plan.trainings, 2 + 4 * 3 * 2);
  const ids = plan.chains.flatMap((c) => c.rounds.flatMap((r) => [r.ticket?.id, ...r.controls.map((x) => x.id)])).filter(Boolean);
  assert.equal(new Set(ids).size, ids.length, 'every experiment has its own id');
});

test('extending the rounds keeps the ids of the rounds already planned, so a rerun reuses them', () => {
  const short = planSweep(parseSpec(valid()));
  const long = planSweep(parseSpec({ ...valid(), pruning: { rounds: 5, exclude: ['fc3.kernel'] } }));
  assert.equal(long.chains[0]!.rounds[3]!.ticket!.id, short.chains[0]!.rounds[3]!.ticket!.id);
});

test('stability adds data-order copies of tickets, controls and the dense net', () => {
  const plan = planSweep(parseSpec({ ...valid(), stability: { copies: 2 } }));
  const chain = plan.chains[0]!;
  assert.deepEqual(chain.rounds[0]!.copies.map((c) => c.copy), [0, 1], 'the dense net is retrained from W_k on both orders');
  assert.deepEqual(chain.rounds[1]!.copies.map((c) => [c.kind, c.copy, c.training.dataOrderSeed]), [
    ['ticket', 1, 1],
    ['random_reinit', 1, 1],
  ]);
});

test('stability rounds limit the copies to the rounds analysed', () => {
  const plan = planSweep(parseSpec({ ...valid(), stability: { copies: 3, rounds: [2] } }));
  const chain = plan.chains[0]!;
  assert.deepEqual(chain.rounds.map((r) => r.copies.length), [0, 0, 4, 0]);
  assert.deepEqual(chain.rounds.map((r) => r.analysed), [false, false, true, false]);
});

test('a rewind point at or past the end of training is refused', () => {
  assert.throws(() => planSweep(parseSpec({ ...valid(), rewind: ['2ep'] })), /rewind point 2000it is not before the end/);
});

test('dataset.augment defaults to true for cifar10 only, is refused elsewhere, and enters the trunk hash', () => {
  const cifar = (dataset: Record<string, unknown>) => parseSpec({ ...valid(), model: { name: 'cifar_resnet_20' }, dataset });
  assert.equal(cifar({ name: 'cifar10' }).dataset.augment, true);
  assert.equal(cifar({ name: 'cifar10', augment: false }).dataset.augment, undefined);
  assert.equal(parseSpec(valid()).dataset.augment, undefined);

  const refused = issuesOf({ ...valid(), dataset: { name: 'mnist', augment: true } });
  assert.deepEqual(refused.map((i) => i.field), ['dataset.augment']);
  assert.match(refused[0]!.message, /allowed only for datasets with an augmentation recipe: cifar10/);
  assert.match(issuesOf({ ...valid(), dataset: { name: 'cifar10', augment: 'yes' } })[0]!.message, /must be true or false, found "yes"/);

  const trunkId = (augment: boolean) => planSweep(cifar({ name: 'cifar10', augment })).trunks[0]!.id;
  assert.notEqual(trunkId(true), trunkId(false));
  // Off, the descriptor is the one from before the field existed, so earlier runs are still found.
  const { model, training } = planSweep(cifar({ name: 'cifar10', augment: false })).trunks[0]!;
  assert.equal(trunkId(false), experimentId('trunk', { model, dataset: { name: 'cifar10', trainSubset: 0 }, training }));
});

test('every number has a range: rounds, fractions, batch sizes, learning rates, uint32 seeds, analysis options', () => {
  const raw = {
    ...valid(),
    seeds: [2 ** 32],
    training: { lr: 1e9, batch_size: 1e7, steps: '2ep', data_order_seed: -1 },
    pruning: { rounds: 1000, fraction: 1 },
    stability: { copies: 1, alpha_points: 1, threshold: 2 },
  };
  const fields = issuesOf(raw).map((i) => i.field).sort();
  assert.deepEqual(fields, [
    'pruning.fraction',
    'pruning.rounds',
    'seeds',
    'seeds[0]',
    'stability.alpha_points',
    'stability.copies',
    'stability.threshold',
    'training.batch_size',
    'training.data_order_seed',
    'training.lr',
  ]);
  assert.match(issuesOf(raw).find((i) => i.field === 'seeds[0]')!.message, /\[0, 4294967295\] \(a uint32\)/);
  assert.throws(() => planSweep(parseSpec({ ...valid(), dataset: { name: 'synthetic' }, training: { lr: 0.1, batch_size: 1024, steps: '10it' } })), /training\.batch_size: 1024 exceeds the 512 training examples/);
});
