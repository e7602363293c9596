/** `rewind analyses <sweep>`: a sweep's finished analyses, built-in and plug-in, as a table. */
import { analyses, type Connection, renderAnalyses } from '@rewind/cluster-client';

export async function analysesCommand(sweepId: string, connection: Connection): Promise<number> {
  const found = await analyses(sweepId, connection);
  process.stdout.write(`${renderAnalyses(found.analyses, found.tickets)}\n`);
  return 0;
}
