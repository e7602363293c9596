/** Small TrainRequests on the synthetic dataset, shared by the training tests. */
import type { Mask, ModelHparams, ModelName, TrainingHparams, TrainState } from '@rewind/core';
import { permutation, rngFor } from '@rewind/core';
import { SYNTHETIC_DEFAULTS } from '@rewind/data';
import { getModel, type InputShape, type TrainRequest } from '@rewind/engine';

export const its = (iterations: number) => ({ epochs: 0, iterations });

export function modelHp(name: ModelName, width = 1): ModelHparams {
  return { name, width, initSeed: 11 };
}

/** 512 synthetic examples / 32 = 16 iterations per epoch, so 40 steps cross two epoch boundaries. */
export const TRAINING: TrainingHparams = {
  optimizer: 'sgd',
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 5e-4,
  batchSize: 32,
  steps: its(40),
  warmup: its(5),
  milestones: [its(25)],
  gamma: 0.5,
  dataOrderSeed: 3,
  evalEvery: its(0),
};

export function initialState(model: ModelHparams, inputShape: InputShape = SYNTHETIC_DEFAULTS.inputShape): TrainState {
  return { step: 0, ...getModel(model.name).init(model, inputShape, 10), momentum: {} };
}

export function request(model: ModelHparams, overrides: Partial<TrainRequest> = {}): TrainRequest {
  return {
    model,
    dataset: { name: 'synthetic', dir: '', trainSubset: 0 },
    training: TRAINING,
    start: initialState(model),
    endStep: 40,
    ...overrides,
  };
}

/** Prunes a seeded random half of every listed layer. */
export function halfMask(state: TrainState, layers: readonly string[]): Mask {
  const mask: Record<string, { shape: readonly number[]; data: Uint8Array }> = {};
  for (const name of layers) {
    const t = state.params[name]!;
    const data = new Uint8Array(t.data.length);
    const order = permutation(data.length, rngFor(1, 'mask', name));
    for (let i = 0; i < data.length / 2; i++) data[order[i]!] = 1;
    mask[name] = { shape: t.shape, data };
  }
  return mask;
}
