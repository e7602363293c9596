/** Hyper-parameters, as validated from a sweep spec. Every field here feeds the experiment hash. */

export const MODEL_NAMES = [
  'mnist_lenet_300_100',
  'mnist_conv_2',
  'mnist_conv_4',
  'mnist_conv_6',
  'cifar_resnet_20',
  'cifar_vgg_16',
  'cifar_vgg_19',
  'imagenet_resnet_18',
  'imagenet_resnet_50',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const DATASET_NAMES = ['fashion_mnist', 'mnist', 'cifar10', 'synthetic', 'imagenet'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/**
 * Datasets streamed as JPEGs from tar shards (local or S3): ImageNet, or any ImageFolder tree packed by
 * `rewind data pack`. Their classes and training-set size come from the shards' index, not from a table.
 */
export const IMAGE_DATASETS: readonly DatasetName[] = ['imagenet'];
export type InMemoryDatasetName = Exclude<DatasetName, 'imagenet'>;
export const CORRUPT_IMAGE_POLICIES = ['error', 'skip'] as const;
export type CorruptImagePolicy = (typeof CORRUPT_IMAGE_POLICIES)[number];

/** Datasets with a training-time augmentation recipe (CIFAR-10: open_lth's random crop and flip). */
export const AUGMENTABLE_DATASETS: readonly DatasetName[] = ['cifar10'];

export interface ModelHparams {
  readonly name: ModelName;
  /** Channel multiplier for ResNet-20 (open_lth's cifar_resnet_20_W). 1 unless set. */
  readonly width: number;
  /** Seed of the kaiming-normal initialisation. */
  readonly initSeed: number;
}

export interface DatasetHparams {
  readonly name: DatasetName;
  /** Where the files live; not part of the hash (the same data may sit anywhere). */
  readonly dir: string;
  /** Use only the first N training examples (0 = all). */
  readonly trainSubset: number;
  /**
   * Augment the training batches (random crop from a 4-pixel padding, random horizontal flip).
   * Present only when true, so un-augmented experiments keep the hashes they had before the field.
   */
  readonly augment?: true;
  /** Image datasets only: the side of the square crops fed to the model (224 for ImageNet). */
  readonly imageSize?: number;
  /** Image datasets only: the number of classes, from the index; the model's head follows it. */
  readonly classes?: number;
  /** Image datasets only: samples in the training split, from the index (epochs are made of them). */
  readonly trainSize?: number;
  /**
   * Image datasets only, not hashed: a corrupt JPEG stops the training ('error') or is left out of its
   * batch with a counted warning ('skip'). A run that finishes under 'error' saw no corrupt file, so it
   * equals the same run under 'skip'.
   */
  readonly onCorrupt?: CorruptImagePolicy;
}

/** A length of training: "500it", "4ep" or "4ep100it". */
export interface Duration {
  readonly epochs: number;
  readonly iterations: number;
}

export interface TrainingHparams {
  readonly optimizer: 'sgd';
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly batchSize: number;
  readonly steps: Duration;
  readonly warmup: Duration;
  readonly milestones: readonly Duration[];
  readonly gamma: number;
  readonly dataOrderSeed: number;
  /** Evaluate on the test set every this often (and always at the end). */
  readonly evalEvery: Duration;
}

export const PRUNING_STRATEGIES = ['global_magnitude', 'layerwise_magnitude'] as const;
export type PruningStrategyName = (typeof PRUNING_STRATEGIES)[number];

export interface PruningHparams {
  readonly strategy: PruningStrategyName;
  /** Fraction of the remaining weights removed each round. */
  readonly fraction: number;
  readonly rounds: number;
  /** Prunable layers (by parameter name) that are never pruned. */
  readonly excludedLayers: readonly string[];
}

/** Training-set sizes, so a plan can turn "4ep" into iterations without reading the data. */
export const DATASET_TRAIN_SIZES: Readonly<Record<InMemoryDatasetName, number>> = {
  fashion_mnist: 60000,
  mnist: 60000,
  cifar10: 50000,
  synthetic: 512,
};

/** Height, width and channels of each dataset's examples, so a spec can be checked against a model without the data. */
export const DATASET_INPUT_SHAPES: Readonly<Record<InMemoryDatasetName, readonly [number, number, number]>> = {
  fashion_mnist: [28, 28, 1],
  mnist: [28, 28, 1],
  cifar10: [32, 32, 3],
  synthetic: [16, 16, 3],
};

/** Thrown when an image dataset's index-derived fields are needed before the index was read. */
export class UnresolvedDatasetError extends Error {
  override name = 'UnresolvedDatasetError';
  constructor(dataset: DatasetHparams, field: string) {
    super(`dataset ${dataset.name}: ${field} is read from the shards' index (prepareSpec) or set in the spec; it is not known yet`);
  }
}

export function isImageDataset(dataset: Pick<DatasetHparams, 'name'>): boolean {
  return IMAGE_DATASETS.includes(dataset.name);
}

export function trainSetSize(dataset: DatasetHparams): number {
  if (isImageDataset(dataset)) {
    if (dataset.trainSize === undefined) throw new UnresolvedDatasetError(dataset, 'the training set size');
    return dataset.trainSize;
  }
  const full = DATASET_TRAIN_SIZES[dataset.name as InMemoryDatasetName];
  return dataset.trainSubset > 0 ? Math.min(dataset.trainSubset, full) : full;
}

/** Height, width and channels of the examples a model sees, without reading the data. */
export function datasetInputShape(dataset: DatasetHparams): readonly [number, number, number] {
  if (isImageDataset(dataset)) {
    if (dataset.imageSize === undefined) throw new UnresolvedDatasetError(dataset, 'the image size');
    return [dataset.imageSize, dataset.imageSize, 3];
  }
  return DATASET_INPUT_SHAPES[dataset.name as InMemoryDatasetName];
}
