export * from './accuracy-figure.ts';
export * from './format.ts';
export * from './instability-figure.ts';
export * from './line-chart.ts';
export * from './png.ts';
export * from './scales.ts';
export * from './series-rows.ts';
export * from './svg.ts';
