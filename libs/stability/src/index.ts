export * from './distance.ts';
export * from './instability.ts';
export * from './interpolation.ts';
export * from './rewind-finder.ts';
export * from './stability-measures.ts';
