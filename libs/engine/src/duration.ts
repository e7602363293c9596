/** Spec lengths ("4ep100it") to iteration counts. An epoch is every full batch; the remainder is dropped. */
import type { Duration } from '@rewind/core';

export function iterationsPerEpoch(trainCount: number, batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batch size ${batchSize} is not positive`);
  const ipe = Math.floor(trainCount / batchSize);
  if (ipe === 0) throw new RangeError(`batch size ${batchSize} exceeds the ${trainCount} training examples`);
  return ipe;
}

export function toIterations(duration: Duration, iterationsPerEpoch: number): number {
  return duration.epochs * iterationsPerEpoch + duration.iterations;
}
