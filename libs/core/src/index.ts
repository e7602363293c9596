export * from './hparams.ts';
export * from './rng.ts';
export * from './tensors.ts';
