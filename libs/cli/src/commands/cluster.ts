/** `rewind submit|watch|cancel|resume|tickets|lineage`: the same sweeps, run by a cluster's coordinator. */
import { cancel, type Connection, isFailure, lineage, renderEvent, renderLineage, renderStatus, renderTickets, resume, submit, tickets, watch } from '@rewind/cluster-client';
import { parse } from 'yaml';
import { UsageError } from '../spec-file.ts';

/** The coordinator's address: --coordinator, else REWIND_COORDINATOR. */
export function connectionFrom(flag: string | undefined): Connection {
  const coordinator = flag ?? process.env.REWIND_COORDINATOR;
  if (!coordinator) throw new UsageError('which cluster? pass --coordinator host:port or set REWIND_COORDINATOR');
  return { coordinator };
}

export async function submitCommand(specPath: string, connection: Connection): Promise<number> {
  const { sweepId, created, resumed } = await submit(specPath, connection, parse);
  const what = created ? 'submitted' : resumed ? 'resumed from its ledger' : 'was already submitted';
  process.stdout.write(`${sweepId}\n`);
  process.stderr.write(`rewind: sweep ${sweepId} ${what}; follow it with: rewind watch ${sweepId}\n`);
  return 0;
}

export async function cancelCommand(sweepId: string, connection: Connection): Promise<number> {
  const status = await cancel(sweepId, connection);
  if (status) process.stdout.write(`${renderStatus(status)}\n`);
  return 0;
}

export async function resumeCommand(sweepId: string, connection: Connection): Promise<number> {
  const status = await resume(sweepId, connection);
  if (status) process.stdout.write(`${renderStatus(status)}\n`);
  return 0;
}

/** Follows the sweep's events until it ends; on a terminal, progress redraws one line. Exit 1 if it failed. */
export async function watchCommand(sweepId: string, connection: Connection): Promise<number> {
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  let failed = false;
  let progressShown = false;
  for await (const event of watch(sweepId, connection, abort.signal)) {
    const line = renderEvent(event);
    if (line === undefined) continue;
    const isProgress = event.event?.$case === 'progress';
    if (isProgress && process.stdout.isTTY) {
      process.stdout.write(`\r${line}\x1b[K`);
      progressShown = true;
      continue;
    }
    if (progressShown) process.stdout.write('\n');
    progressShown = false;
    process.stdout.write(`${line}\n`);
    if (event.event?.$case === 'sweepFinished') {
      failed = isFailure(event);
      break;
    }
  }
  return failed ? 1 : 0;
}

export async function ticketsCommand(sweepId: string, connection: Connection): Promise<number> {
  process.stdout.write(`${renderTickets(await tickets(sweepId, connection))}\n`);
  return 0;
}

export async function lineageCommand(ticket: string, connection: Connection): Promise<number> {
  process.stdout.write(`${renderLineage(await lineage(ticket, connection))}\n`);
  return 0;
}
