/** results.json and results.csv in a run directory: what `rewind run` writes and `rewind show` reads. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toCsv } from '@rewind/core';
import type { SweepResults } from '@rewind/kinds';
import { writeFileAtomic } from '@rewind/local';
import { UsageError } from './spec-file.ts';

export async function writeResults(runDir: string, results: SweepResults): Promise<void> {
  await writeFileAtomic(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFileAtomic(join(runDir, 'results.csv'), toCsv(results.rows));
}

export async function readResults(runDir: string): Promise<SweepResults> {
  const path = join(runDir, 'results.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as SweepResults;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file; is this a run directory of `rewind run`?' : (e as Error).message;
    throw new UsageError(`cannot read ${path}: ${why}`);
  }
}
