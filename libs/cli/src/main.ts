/** The `rewind` command line. Errors a user can fix are printed as one clear message, exit code 2. */
import { parseArgs } from 'node:util';
import { SpecError } from '@rewind/core';
import { analysesCommand } from './commands/analyses.ts';
import { runCommand } from './commands/run.ts';
import { connectionFrom, lineageCommand, submitCommand, ticketsCommand, watchCommand } from './commands/cluster.ts';
import { findRewindCommand } from './commands/find-rewind.ts';
import { reportCommand } from './commands/report.ts';
import { showCommand } from './commands/show.ts';
import { UsageError } from './spec-file.ts';

const USAGE = `usage:
  rewind run <spec.yaml> [--out DIR]                  run a sweep in this process (rerun to resume)
  rewind show <run-dir>                               print a run's results tables
  rewind report <run-dir>                             draw the accuracy and instability figures (SVG, PNG)
  rewind find-rewind <spec.yaml> [--round R] [--out DIR]
                                                      find the earliest stable rewind point
against a cluster (--coordinator host:port, or REWIND_COORDINATOR):
  rewind submit <spec.yaml>                           submit a sweep; prints its id
  rewind watch <sweep>                                follow a sweep's progress until it ends
  rewind tickets <sweep>                              list a sweep's tickets
  rewind lineage <ticket-mask-id>                     trace a ticket back to its rewind checkpoint
  rewind analyses <sweep>                             list a sweep's analyses, built-in and plug-in
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { out: { type: 'string' }, round: { type: 'string' }, coordinator: { type: 'string' } },
    });
    const arg = (what: string) => {
      const value = positionals[0];
      if (!value) throw new UsageError(`rewind ${command}: missing ${what}\n${USAGE}`);
      return value;
    };
    switch (command) {
      case 'run':
        return await runCommand(arg('<spec.yaml>'), values.out);
      case 'show':
        return await showCommand(arg('<run-dir>'));
      case 'report':
        return await reportCommand(arg('<run-dir>'));
      case 'find-rewind':
        return await findRewindCommand(arg('<spec.yaml>'), values.round, values.out);
      case 'submit':
        return await submitCommand(arg('<spec.yaml>'), connectionFrom(values.coordinator));
      case 'watch':
        return await watchCommand(arg('<sweep>'), connectionFrom(values.coordinator));
      case 'tickets':
        return await ticketsCommand(arg('<sweep>'), connectionFrom(values.coordinator));
      case 'lineage':
        return await lineageCommand(arg('<ticket-mask-id>'), connectionFrom(values.coordinator));
      case 'analyses':
        return await analysesCommand(arg('<sweep>'), connectionFrom(values.coordinator));
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
    }
  } catch (e) {
    // Ctrl-C or SIGTERM: finished work is in the ledger, and the interrupted training has its checkpoint.
    if ((e as Error | undefined)?.name === 'AbortError') return 130;
    if (e instanceof UsageError || e instanceof SpecError || isUserFacing(e)) {
      process.stderr.write(`rewind: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

const USER_FACING = new Set([
  'DatasetError',
  'ChecksumMismatchError',
  'CheckpointNotFoundError',
  'SafetensorsFormatError',
  'ServerUnavailableError',
  'InvalidArgumentError',
  'NotFoundError',
  'RemoteError',
]);

/** Errors about the user's input or environment (missing dataset, corrupt checkpoint, unknown flag). */
function isUserFacing(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return USER_FACING.has(e.name) || String((e as NodeJS.ErrnoException).code ?? '').startsWith('ERR_PARSE_ARGS');
}
