/** `rewind show <dir>`: the results tables of a finished run, again. */
import { formatResults, readResults } from '../results-file.ts';

export async function showCommand(runDir: string): Promise<number> {
  process.stdout.write(formatResults(await readResults(runDir)));
  return 0;
}
