/** Hyper-parameters between domain and wire. Names are checked against the domain's lists on the way in. */
import {
  CORRUPT_IMAGE_POLICIES,
  DATASET_NAMES,
  type DatasetHparams,
  type Duration,
  MODEL_NAMES,
  type ModelHparams,
  PRUNING_STRATEGIES,
  type PruningHparams,
  type TrainingHparams,
} from '@rewind/core';
import {
  type DatasetHparams as DatasetMessage,
  type Duration as DurationMessage,
  type ModelHparams as ModelMessage,
  type PruningHparams as PruningMessage,
  PruningStrategy,
  type TrainingHparams as TrainingMessage,
} from '../generated/rewind/v1/hparams.ts';

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is required`);
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${what} "${value}" is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

const duration = (d: DurationMessage | undefined, what: string): Duration => {
  const m = required(d, what);
  return { epochs: m.epochs, iterations: m.iterations };
};

export const modelToMessage = (m: ModelHparams): ModelMessage => ({ name: m.name, width: m.width, initSeed: m.initSeed });
export const modelFromMessage = (m: ModelMessage | undefined): ModelHparams => {
  const v = required(m, 'model hparams');
  return { name: oneOf(v.name, MODEL_NAMES, 'model'), width: v.width, initSeed: v.initSeed };
};

export const datasetToMessage = (d: DatasetHparams): DatasetMessage => ({
  name: d.name,
  dir: d.dir,
  trainSubset: d.trainSubset,
  augment: d.augment === true,
  imageSize: d.imageSize ?? 0,
  classes: d.classes ?? 0,
  trainSize: d.trainSize ?? 0,
  onCorrupt: d.onCorrupt ?? '',
});
export const datasetFromMessage = (d: DatasetMessage | undefined): DatasetHparams => {
  const v = required(d, 'dataset hparams');
  // Absent, not false, when off: experiment hashes drop absent fields.
  return {
    name: oneOf(v.name, DATASET_NAMES, 'dataset'),
    dir: v.dir,
    trainSubset: v.trainSubset,
    ...(v.augment ? { augment: true as const } : {}),
    ...(v.imageSize ? { imageSize: v.imageSize } : {}),
    ...(v.classes ? { classes: v.classes } : {}),
    ...(v.trainSize ? { trainSize: v.trainSize } : {}),
    ...(v.onCorrupt ? { onCorrupt: oneOf(v.onCorrupt, CORRUPT_IMAGE_POLICIES, 'dataset on_corrupt') } : {}),
  };
};

export const trainingToMessage = (t: TrainingHparams): TrainingMessage => ({ ...t, milestones: [...t.milestones] });
export const trainingFromMessage = (t: TrainingMessage | undefined): TrainingHparams => {
  const v = required(t, 'training hparams');
  return {
    optimizer: oneOf(v.optimizer, ['sgd'] as const, 'optimizer'),
    lr: v.lr,
    momentum: v.momentum,
    weightDecay: v.weightDecay,
    batchSize: v.batchSize,
    steps: duration(v.steps, 'training steps'),
    warmup: duration(v.warmup, 'training warmup'),
    milestones: v.milestones.map((m) => duration(m, 'milestone')),
    gamma: v.gamma,
    dataOrderSeed: v.dataOrderSeed,
    evalEvery: duration(v.evalEvery, 'training eval_every'),
  };
};

const STRATEGIES: Record<PruningHparams['strategy'], PruningStrategy> = {
  global_magnitude: PruningStrategy.PRUNING_STRATEGY_GLOBAL_MAGNITUDE,
  layerwise_magnitude: PruningStrategy.PRUNING_STRATEGY_LAYERWISE_MAGNITUDE,
};

export const pruningToMessage = (p: PruningHparams): PruningMessage => ({
  strategy: STRATEGIES[p.strategy],
  fraction: p.fraction,
  rounds: p.rounds,
  excludedLayers: [...p.excludedLayers],
});
export const pruningFromMessage = (p: PruningMessage): PruningHparams => {
  const strategy = PRUNING_STRATEGIES.find((s) => STRATEGIES[s] === p.strategy);
  if (strategy === undefined) throw new Error(`pruning strategy ${p.strategy} is not one of ${PRUNING_STRATEGIES.join(', ')}`);
  return { strategy, fraction: p.fraction, rounds: p.rounds, excludedLayers: [...p.excludedLayers] };
};
