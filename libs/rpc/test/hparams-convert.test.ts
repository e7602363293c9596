import assert from 'node:assert/strict';
import { test } from 'node:test';
import { experimentId } from '@rewind/core';
import { datasetFromMessage, datasetToMessage } from '../src/hparams-convert.ts';

test('dataset hparams survive the wire with augmentation, so cluster experiments keep their hash', () => {
  const augmented = { name: 'cifar10' as const, dir: '/data', trainSubset: 0, augment: true as const };
  const plain = { name: 'fashion_mnist' as const, dir: '/data', trainSubset: 100 };
  assert.deepEqual(datasetFromMessage(datasetToMessage(augmented)), augmented);
  assert.deepEqual(datasetFromMessage(datasetToMessage(plain)), plain);
  assert.equal(experimentId('trunk', datasetFromMessage(datasetToMessage(plain))), experimentId('trunk', plain));
});

test('an image dataset crosses the wire with its crop size, index facts and corrupt-JPEG policy', () => {
  const imagenet = { name: 'imagenet' as const, dir: 's3://datasets/imagenet', trainSubset: 0, imageSize: 224, classes: 1000, trainSize: 1281167, onCorrupt: 'skip' as const };
  assert.deepEqual(datasetFromMessage(datasetToMessage(imagenet)), imagenet);
  assert.throws(() => datasetFromMessage({ ...datasetToMessage(imagenet), onCorrupt: 'ignore' }), /on_corrupt/);
});
