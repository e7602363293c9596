export * from './atomic-file.ts';
export * from './file-ledger.ts';
export * from './local-analyzer.ts';
export * from './local-dir-store.ts';
export * from './local-pruner.ts';
export * from './local-trainer.ts';
export * from './serial-trainer.ts';
