/** Training lengths as open_lth writes them: "500it", "4ep", "4ep100it". */
import type { Duration } from './hparams.ts';

const PATTERN = /^(?:(\d+)ep)?(?:(\d+)it)?$/;

export function parseDuration(text: string): Duration | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m || (m[1] === undefined && m[2] === undefined)) return undefined;
  return { epochs: Number(m[1] ?? 0), iterations: Number(m[2] ?? 0) };
}

export function formatDuration(d: Duration): string {
  if (d.epochs === 0) return `${d.iterations}it`;
  return d.iterations === 0 ? `${d.epochs}ep` : `${d.epochs}ep${d.iterations}it`;
}

export function toIterations(d: Duration, iterationsPerEpoch: number): number {
  return d.epochs * iterationsPerEpoch + d.iterations;
}

/** Iterations in an epoch: every full batch; the remainder is dropped. */
export function iterationsPerEpoch(trainCount: number, batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batch size ${batchSize} is not positive`);
  const ipe = Math.floor(trainCount / batchSize);
  if (ipe === 0) throw new RangeError(`batch size ${batchSize} exceeds the ${trainCount} training examples`);
  return ipe;
}
