import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { checkExcludedLayers, formatDuration, planSweep } from '@rewind/core';
import { getModel, prepareSpec } from '@rewind/engine';
import { readSpecFile } from '../../libs/cli/src/spec-file.ts';
import { tempDir } from './helpers.ts';

const dir = new URL('../../examples/', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;

test('every example spec validates, names real layers and plans', async () => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.includes('quick.yaml'));
  for (const file of files) {
    const { spec } = await readSpecFile(dir + file);
    checkExcludedLayers(spec.pruning, getModel(spec.model.name).prunable);
    if (spec.dataset.name === 'imagenet' && spec.dataset.trainSize === undefined) continue; // planned from its data, below
    const plan = planSweep(spec);
    assert.ok(plan.trainings > spec.pruning.rounds, file);
  }
});

test('imagenet-tiny plans on the data its header says to make', async () => {
  const work = await tempDir('imagenet-tiny');
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/make-jpeg-dataset.ts', '--out', work], { cwd: ROOT });
    const { spec } = await readSpecFile(`${dir}imagenet-tiny.yaml`);
    assert.equal(spec.dataset.dir, 'data/imagenet-tiny/shards', 'the directory the header makes');
    const prepared = await prepareSpec({ ...spec, dataset: { ...spec.dataset, dir: join(work, 'shards') } });
    assert.equal(prepared.dataset.classes, 10);
    assert.equal(prepared.dataset.trainSize, 600);
    assert.ok(planSweep(prepared).trainings > prepared.pruning.rounds);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("imagenet-resnet50 is the paper's recipe", async () => {
  const { spec } = await readSpecFile(`${dir}imagenet-resnet50.yaml`);
  const { training: t } = spec;
  assert.equal(spec.model.name, 'imagenet_resnet_50');
  assert.deepEqual([spec.dataset.imageSize, spec.dataset.classes, spec.dataset.trainSize], [224, 1000, 1281167]);
  assert.deepEqual([t.batchSize, t.lr, t.momentum, t.weightDecay, t.gamma], [1024, 0.4, 0.9, 0.0001, 0.1]);
  assert.deepEqual([t.steps, t.warmup, ...t.milestones].map(formatDuration), ['90ep', '5ep', '30ep', '60ep', '80ep']);
  assert.deepEqual(spec.rewind.map(formatDuration), ['0it', '4ep', '6ep']);
  assert.equal(spec.pruning.fraction, 0.2);
  assert.deepEqual([...spec.controls].sort(), ['random_pruning', 'random_reinit']);
  const plan = planSweep(spec);
  assert.equal(plan.iterationsPerEpoch, 1251, '1,281,167 images in batches of 1024');
  assert.deepEqual(plan.trunks[0]!.rewindSteps, [0, 4 * 1251, 6 * 1251]);
});

test('the quick sweep meets its brief: LeNet on Fashion-MNIST, two rewind points, ≤ 26% left, reinit control', async () => {
  const { spec } = await readSpecFile(`${dir}quick.yaml`);
  assert.equal(spec.model.name, 'mnist_lenet_300_100');
  assert.equal(spec.dataset.name, 'fashion_mnist');
  assert.ok(spec.rewind.length >= 2);
  assert.ok((1 - spec.pruning.fraction) ** spec.pruning.rounds <= 0.265);
  assert.ok(spec.controls.includes('random_reinit'));
});
