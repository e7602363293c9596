export * from './local-trainer.ts';
