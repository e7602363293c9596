export * from './local-analyzer.ts';
