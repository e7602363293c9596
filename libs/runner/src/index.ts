export * from './ports.ts';
export * from './sweep.ts';
export type { TrainingRecord } from './sweep-run.ts';
export * from './lineage-walk.ts';
