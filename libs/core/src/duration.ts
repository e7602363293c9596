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
