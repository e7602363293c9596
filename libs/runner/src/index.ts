export * from './file-ledger.ts';
export * from './local-dir-store.ts';
export * from './local-pruner.ts';
export * from './ports.ts';
export * from './serial-trainer.ts';
export * from './sweep.ts';
export * from './atomic-file.ts';
export * from './analysis-rows.ts';
