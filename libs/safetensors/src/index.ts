export * from './checkpoints.ts';
export * from './codec.ts';
export * from './content-id.ts';
