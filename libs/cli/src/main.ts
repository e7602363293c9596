/** The `rewind` command line. Errors a user can fix are printed as one clear message, exit code 2. */
import { parseArgs } from 'node:util';
import { SpecError } from '@rewind/core';
import { runCommand } from './commands/run.ts';
import { showCommand } from './commands/show.ts';
import { UsageError } from './spec-file.ts';

const USAGE = `usage:
  rewind run <spec.yaml> [--out DIR]   run a sweep in this process (rerun to resume)
  rewind show <run-dir>                print a run's results table
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { out: { type: 'string' } } });
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
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof SpecError || isUserFacing(e)) {
      process.stderr.write(`rewind: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

const USER_FACING = new Set(['DatasetError', 'ChecksumMismatchError', 'CheckpointNotFoundError', 'SafetensorsFormatError', 'BackendError']);

/** Errors about the user's input or environment (missing dataset, corrupt checkpoint, unknown flag). */
function isUserFacing(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return USER_FACING.has(e.name) || ((e as NodeJS.ErrnoException).code ?? '').startsWith('ERR_PARSE_ARGS');
}
