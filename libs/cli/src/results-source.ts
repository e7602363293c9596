/** Where `rewind show|report` find results: a run directory, or the coordinator for a cluster sweep's id. */
import { existsSync } from 'node:fs';
import type { SweepResults } from '@rewind/kinds';
import { readResults } from './results-file.ts';

const SWEEP_ID = /^sweep_[0-9a-f]{16}$/;

export function isClusterSweep(target: string): boolean {
  return SWEEP_ID.test(target) && !existsSync(target);
}

export async function loadResults(target: string, coordinator: string | undefined): Promise<SweepResults> {
  if (!isClusterSweep(target)) return readResults(target);
  const [{ connectionFrom }, { results }] = await Promise.all([import('./commands/cluster.ts'), import('@rewind/cluster-client')]);
  return JSON.parse(await results(target, connectionFrom(coordinator))) as SweepResults;
}
