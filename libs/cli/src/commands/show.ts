/** `rewind show <dir>`: the results tables of a finished run, again. */
import { formatResults } from '@rewind/kinds';
import { loadResults } from '../results-source.ts';

/** Prints the tables of a run directory, or of a finished cluster sweep given its id. */
export async function showCommand(target: string, coordinator?: string): Promise<number> {
  process.stdout.write(formatResults(await loadResults(target, coordinator)));
  return 0;
}
