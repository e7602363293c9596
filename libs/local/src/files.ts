/**
 * The adapters that only read and write files, without the engine: what a process that never trains (the
 * dashboard) imports as `@rewind/local/files`, so it does not load tfjs to read a run directory.
 */
export * from './atomic-file.ts';
export * from './file-ledger.ts';
export * from './local-dir-store.ts';
export * from './run-pid.ts';
export * from './sweep-event-log.ts';
