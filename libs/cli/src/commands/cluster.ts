/** `rewind submit|watch|cancel|resume|tickets|lineage`: the same sweeps, run by a cluster's coordinator. */
import { cancel, type Connection, isFailure, lineage, renderEvent, renderLineage, renderStatus, renderTickets, resume, submit, tickets, watch } from '@rewind/cluster-client';
import { parse } from 'yaml';
import { ProgressBar } from '../progress-bar.ts';
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

/**
 * Follows the sweep's events until it ends: the status line of `rewind run` (trainings done, the current
 * job's step and loss from its trainer, speed, elapsed, ETA), redrawn on a terminal or printed every
 * `--log-every` seconds in a log, between one line per ticket, analysis and resumption. Exit 1 if it failed.
 */
export async function watchCommand(sweepId: string, connection: Connection, logEvery = '30'): Promise<number> {
  const seconds = Number(logEvery);
  if (logEvery.trim() === '' || !(seconds >= 0 && seconds <= 3600)) throw new UsageError(`--log-every: "${logEvery}" is not a number of seconds from 0 to 3600`);
  const logEveryMs = seconds * 1000;
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const bar = new ProgressBar(process.stdout, 0, { logEveryMs });
  let failed = false;
  for await (const event of watch(sweepId, connection, abort.signal)) {
    const ev = event.event;
    if (ev?.$case === 'jobProgress') {
      const { experiment, step, endStep, trainLoss, batchSize } = ev.value;
      bar.update({ label: experiment, step, endStep, examplesPerStep: batchSize, ...(trainLoss === undefined ? {} : { loss: trainLoss }) });
      continue;
    }
    if (ev?.$case === 'progress') {
      bar.update({ done: ev.value.done, total: ev.value.total });
      bar.finished(ev.value.label);
      continue;
    }
    const line = renderEvent(event);
    if (line === undefined) continue;
    bar.interrupt(line);
    if (ev?.$case === 'sweepFinished') {
      failed = isFailure(event);
      break;
    }
  }
  bar.close();
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
