export { CIFAR10_DEFAULT_DIR, type CifarRecords, loadCifar10, parseCifarBatch } from './cifar10.ts';
export { type AugmentationRecipe, type Dataset, exampleSize, headOf, type Split } from './dataset.ts';
export { DatasetError, type DatasetProblem } from './errors.ts';
export { type IdxArray, parseIdx } from './idx.ts';
export { clearDatasetCache, defaultDir, loadDataset } from './load.ts';
export { defaultMnistDir, loadMnist, type MnistVariant } from './mnist.ts';
export { SYNTHETIC_DEFAULTS, type SyntheticOptions, syntheticDataset } from './synthetic.ts';
