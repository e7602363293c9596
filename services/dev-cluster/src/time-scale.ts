/**
 * Deadlines that stretch with the machine. A busy shared CI machine runs children several times slower
 * than an idle one; REWIND_TEST_TIME_SCALE (default 1, at most 100) multiplies every wait that tests and
 * the dev cluster set, so a slow machine waits longer instead of failing.
 */
export function timeScale(): number {
  const raw = process.env.REWIND_TEST_TIME_SCALE;
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale < 1 || scale > 100) {
    throw new Error(`REWIND_TEST_TIME_SCALE must be a number from 1 to 100, found ${JSON.stringify(raw)}`);
  }
  return scale;
}

/** `ms` stretched by REWIND_TEST_TIME_SCALE. */
export function scaled(ms: number): number {
  return Math.round(ms * timeScale());
}
