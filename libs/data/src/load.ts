/**
 * `loadDataset`: picks the reader for a dataset name, caches the full dataset per process (a sweep
 * trains many times on the same data), and applies `trainSubset` as a view.
 */
import type { DatasetHparams } from '@rewind/core';
import { CIFAR10_DEFAULT_DIR, loadCifar10 } from './cifar10.ts';
import { type Dataset, exampleSize, headOf } from './dataset.ts';
import { DatasetError } from './errors.ts';
import { defaultMnistDir, loadMnist } from './mnist.ts';
import { syntheticDataset } from './synthetic.ts';

const cache = new Map<string, Promise<Dataset>>();

export async function loadDataset(hp: DatasetHparams): Promise<Dataset> {
  const dir = hp.dir || defaultDir(hp.name);
  const key = `${hp.name}\0${dir}`;
  let loading = cache.get(key);
  if (!loading) {
    loading = readFull(hp.name, dir);
    cache.set(key, loading);
    // A failed load (file not there yet) must not poison later attempts.
    loading.catch(() => cache.delete(key));
  }
  return withTrainSubset(await loading, hp.trainSubset, dir);
}

/** Drops every cached dataset, e.g. to free memory between unrelated sweeps. */
export function clearDatasetCache(): void {
  cache.clear();
}

export function defaultDir(name: DatasetHparams['name']): string {
  switch (name) {
    case 'mnist':
    case 'fashion_mnist':
      return defaultMnistDir(name);
    case 'cifar10':
      return CIFAR10_DEFAULT_DIR;
    case 'synthetic':
      return '';
    case 'imagenet':
      return notInMemory(name);
  }
}

function readFull(name: DatasetHparams['name'], dir: string): Promise<Dataset> {
  switch (name) {
    case 'mnist':
    case 'fashion_mnist':
      return loadMnist(name, dir);
    case 'cifar10':
      return loadCifar10(dir);
    case 'synthetic':
      return Promise.resolve(syntheticDataset());
    case 'imagenet':
      return notInMemory(name);
  }
}

/** Image datasets are streamed from their shards by the engine (@rewind/image-data), never held whole. */
function notInMemory(name: DatasetHparams['name']): never {
  throw new DatasetError('invalid_request', name, `${name} is streamed from JPEG shards, not loaded into memory`, 'Train it through the engine, which streams it');
}

function withTrainSubset(dataset: Dataset, trainSubset: number, dir: string): Dataset {
  if (trainSubset === 0 || trainSubset === dataset.train.count) return dataset;
  if (!Number.isInteger(trainSubset) || trainSubset < 0 || trainSubset > dataset.train.count) {
    throw new DatasetError(
      'invalid_request',
      dir || dataset.name,
      `trainSubset ${trainSubset} is not a whole number between 0 and the ${dataset.train.count} training examples`,
      'Set trainSubset to 0 (all) or to at most the training set size',
    );
  }
  return { ...dataset, train: headOf(dataset.train, trainSubset, exampleSize(dataset)) };
}
