/** The proof that a kind is one module: layer_sparsity, planned, run and tabled through the registry alone. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Mask, planSweep } from '@rewind/core';
import { type AnalysisRow, analysisKind, formatStabilityTable, JobError, parseSweepSpec } from '../src/index.ts';

const spec = (stability: Record<string, unknown>) =>
  parseSweepSpec({ name: 's', model: { name: 'mnist_lenet_300_100' }, dataset: { name: 'synthetic' }, training: { lr: 0.1, batch_size: 32, steps: '40it' }, pruning: { rounds: 1 }, stability });

const mask: Mask = {
  'fc1.kernel': { shape: [2, 2], data: Uint8Array.from([1, 0, 0, 0]) },
  'fc2.kernel': { shape: [2, 1], data: Uint8Array.from([1, 1]) },
};
const tools = { mask: async () => mask, state: async () => assert.fail('not needed'), params: async () => assert.fail('not needed'), pathEvaluator: async () => assert.fail('not needed') };
const id = 'a'.repeat(64);

test('opt-in: a spec runs it only when it lists it, with the paper analyses or alone', () => {
  assert.deepEqual(spec({}).stability!.analyses, ['pruning', 'data_order', 'linear_mode']);
  assert.deepEqual(spec({ analyses: ['layer_sparsity'] }).stability!.analyses, ['layer_sparsity']);
  assert.doesNotThrow(() => planSweep(spec({ analyses: ['layer_sparsity'] })));
});

test('it plans a job for masked subnets only, and checks jobs from the wire', () => {
  const kind = analysisKind('layer_sparsity');
  const context = { spec: spec({}), options: {}, denseId: id, layers: ['fc1.kernel'] };
  assert.equal(kind.plan({ kind: 'dense', seed: 0, round: 0, rewindStep: 0, copyIds: [id] }, context), undefined);
  assert.deepEqual(kind.plan({ kind: 'ticket', seed: 0, round: 1, rewindStep: 0, maskId: id, copyIds: [id] }, context), { analysis: 'layer_sparsity', maskId: id });
  assert.throws(() => kind.parseJob({ analysis: 'layer_sparsity', maskId: '../etc/passwd' }), JobError);
});

test('it reports the fraction kept per layer, and the table names the sparsest layer', async () => {
  const result = await analysisKind('layer_sparsity').analyze({ analysis: 'layer_sparsity', maskId: id } as never, tools);
  assert.deepEqual(result, { analysis: 'layer_sparsity', remaining: { 'fc1.kernel': 0.25, 'fc2.kernel': 1 }, sparsestLayer: 'fc1.kernel' });
  const row: AnalysisRow = { experiment: 'x', trunk: 't', seed: 0, kind: 'ticket', rewindStep: 0, round: 1, weightsRemaining: 0.5, analysis: 'layer_sparsity', result };
  assert.match(formatStabilityTable([row]), /sparsest layer \(% kept\)[\s\S]*fc1\.kernel 25\.00/);
});
