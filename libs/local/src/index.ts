export * from './files.ts';
export * from './local-analyzer.ts';
export * from './local-pruner.ts';
export * from './local-trainer.ts';
export * from './logged-trainer.ts';
export * from './progress-events.ts';
export * from './serial-trainer.ts';
