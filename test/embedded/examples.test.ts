import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { checkExcludedLayers, planSweep } from '@rewind/core';
import { getModel } from '@rewind/engine';
import { readSpecFile } from '../../libs/cli/src/spec-file.ts';

const dir = new URL('../../examples/', import.meta.url).pathname;

test('every example spec validates, names real layers and plans', async () => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.includes('quick.yaml'));
  for (const file of files) {
    const { spec } = await readSpecFile(dir + file);
    checkExcludedLayers(spec.pruning, getModel(spec.model.name).prunable);
    const plan = planSweep(spec);
    assert.ok(plan.trainings > spec.pruning.rounds, file);
  }
});

test('the quick sweep meets its brief: LeNet on Fashion-MNIST, two rewind points, ≤ 26% left, reinit control', async () => {
  const { spec } = await readSpecFile(`${dir}quick.yaml`);
  assert.equal(spec.model.name, 'mnist_lenet_300_100');
  assert.equal(spec.dataset.name, 'fashion_mnist');
  assert.ok(spec.rewind.length >= 2);
  assert.ok((1 - spec.pruning.fraction) ** spec.pruning.rounds <= 0.265);
  assert.ok(spec.controls.includes('random_reinit'));
});
