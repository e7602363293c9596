/** results.json and results.csv in a run directory: what `rewind run` writes and `rewind show` reads. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatAccuracyTable, type ResultRow, toCsv } from '@rewind/core';
import { type AnalysisRow, formatStabilityTable } from '@rewind/kinds';
import { writeFileAtomic } from '@rewind/local';
import { UsageError } from './spec-file.ts';

export interface ResultsFile {
  readonly name: string;
  readonly sweep: string;
  readonly model: string;
  readonly dataset: string;
  readonly backends: readonly string[];
  readonly trainings: number;
  readonly rows: readonly ResultRow[];
  /** Stability analyses, when the spec asked for them. */
  readonly analyses: readonly AnalysisRow[];
}

export async function writeResults(runDir: string, results: ResultsFile): Promise<void> {
  await writeFileAtomic(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFileAtomic(join(runDir, 'results.csv'), toCsv(results.rows));
}

export async function readResults(runDir: string): Promise<ResultsFile> {
  const path = join(runDir, 'results.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ResultsFile;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file; is this a run directory of `rewind run`?' : (e as Error).message;
    throw new UsageError(`cannot read ${path}: ${why}`);
  }
}

/** The tables `rewind run` ends with and `rewind show` prints: accuracy by round, then stability by k. */
export function formatResults(results: ResultsFile): string {
  const head = `${results.name}: ${results.model} on ${results.dataset}, backend ${results.backends.join(', ')}\n`;
  const stability = results.analyses.length ? `\nstability against the rewind point k:\n${formatStabilityTable(results.analyses)}` : '';
  return `${head}${formatAccuracyTable(results.rows)}${stability}`;
}
