/** `rewind show <dir>`: the results table of a finished run, again. */
import { formatAccuracyTable } from '@rewind/core';
import { readResults } from '../results-file.ts';

export async function showCommand(runDir: string): Promise<number> {
  const results = await readResults(runDir);
  process.stdout.write(`${results.name}: ${results.model} on ${results.dataset}, backend ${results.backends.join(', ')}\n`);
  process.stdout.write(formatAccuracyTable(results.rows));
  return 0;
}
