/**
 * What training and evaluation read, whatever holds it: a dataset loaded whole into memory (MNIST,
 * CIFAR-10), or JPEG shards streamed from disk or S3 (ImageNet). The training loop sees batches and
 * evaluation sets only, so it never knows which.
 */
import { type DatasetHparams, iterationsPerEpoch, isImageDataset, type TrainingHparams } from '@rewind/core';
import { type Dataset, exampleSize, headOf, loadDataset } from '@rewind/data';
import { augmentationFor } from './augment.ts';
import { type BatchSource, deviceBatches, hostBatches, keepsDataOnDevice } from './batch-source.ts';
import { DataOrder } from './batches.ts';
import { DEFAULT_EVAL_BATCH, type EvalSet, splitEvalSet } from './evaluate.ts';
import type { InputShape } from './models/model.ts';

export interface TrainingData {
  readonly inputShape: InputShape;
  readonly numClasses: number;
  readonly trainCount: number;
  /** The training batches of steps [from, to), in the order `training.dataOrderSeed` gives. */
  trainBatches(training: TrainingHparams, backend: string, from: number, to: number): Promise<BatchSource>;
  /** What a training's evaluations measure: the test split (ImageNet's val split, centre-cropped). */
  readonly test: EvalSet;
  /** The first `examples` of each split, unaugmented: what the stability analyses evaluate dozens of times. */
  heads(examples: number): Promise<{ train: EvalSet; test: EvalSet }>;
}

export async function openTrainingData(hp: DatasetHparams): Promise<TrainingData> {
  if (isImageDataset(hp)) return (await import('./image-stream-data.ts')).openImageStreamData(hp);
  return inMemoryData(hp, await loadDataset(hp));
}

function inMemoryData(hp: DatasetHparams, dataset: Dataset): TrainingData {
  const augmentation = augmentationFor(hp, dataset);
  const head = (split: Dataset['train'], n: number) => splitEvalSet(headOf(split, Math.min(n, split.count), exampleSize(dataset)), dataset.inputShape);
  return {
    inputShape: dataset.inputShape,
    numClasses: dataset.numClasses,
    trainCount: dataset.train.count,
    async trainBatches(training, backend) {
      const ipe = iterationsPerEpoch(dataset.train.count, training.batchSize);
      const order = new DataOrder(training.dataOrderSeed, dataset.train.count, training.batchSize, ipe);
      return keepsDataOnDevice(backend, augmentation !== undefined)
        ? deviceBatches(dataset, order)
        : hostBatches(dataset, order, augmentation, training.dataOrderSeed);
    },
    test: splitEvalSet(dataset.test, dataset.inputShape, DEFAULT_EVAL_BATCH),
    heads: async (examples) => ({ train: head(dataset.train, examples), test: head(dataset.test, examples) }),
  };
}
