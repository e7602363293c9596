/** How many threads the native kernels use: `REWIND_THREADS` if set, else every core Node reports. */
import { availableParallelism } from 'node:os';

export function resolveThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.REWIND_THREADS;
  if (raw === undefined || raw === '') return availableParallelism();
  const threads = Number(raw);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`REWIND_THREADS must be a positive integer, got '${raw}'`);
  }
  return threads;
}
