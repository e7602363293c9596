export * from './kind.ts';
export * from './registry.ts';
export * from './stability-table.ts';
export type { DistanceResult } from './analyses/distances.ts';
export type { LinearModeResult } from './analyses/linear-mode.ts';
export type { DataOrderJob } from './analyses/data-order-stability.ts';
export type { LinearModeJob } from './analyses/linear-mode.ts';
export type { PruningJob } from './analyses/pruning-stability.ts';
export * from './sweep-results.ts';
