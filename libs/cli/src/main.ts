/**
 * The `rewind` command line, parsed by commander: every command has --help, and errors a user can fix are
 * printed as one clear message that says what to do, exit code 2. A command is one registration below.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { DashboardCommandOptions } from './commands/dashboard.ts';
import type { PackCommandOptions } from './commands/data.ts';
import type { ExportOptions } from './commands/export.ts';

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const COORDINATOR_HELP = 'the cluster\'s coordinator, host:port (default: $REWIND_COORDINATOR)';

interface CoordinatorOptions {
  readonly coordinator?: string;
}

// Commands load on use, so `--help` and parse errors answer at once, without the engine.
const cluster = () => import('./commands/cluster.ts');
const coordinator = async (o: CoordinatorOptions) => (await cluster()).connectionFrom(o.coordinator);

/** The program, with `exitCode` set by whichever command's action ran. */
function buildProgram(): { program: Command; exitCode: () => number } {
  let code = 0;
  // commander discards an action's result; a command's exit code is kept here instead.
  const act =
    <A extends unknown[]>(command: (...args: A) => Promise<number>) =>
    async (...args: A) => {
      code = await command(...args);
    };

  // Subcommands inherit the help option, exit override and output settings set here.
  const program = new Command('rewind')
    .description('Lottery-ticket research: iterative magnitude pruning with rewinding, in one process or on a cluster.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  program
    .command('run')
    .description('run a sweep in this process (rerun to resume)')
    .argument('<spec.yaml>', 'the sweep spec')
    .option('--out <dir>', 'the run directory (default: runs/<name>-<hash>)')
    .action(act(async (spec: string, o: { out?: string }) => (await import('./commands/run.ts')).runCommand(spec, o.out)));
  program
    .command('show')
    .description("print a run's results tables")
    .argument('<run-dir|sweep>', 'a run directory written by `rewind run`, or the id of a finished cluster sweep')
    .option('--coordinator <host:port>', COORDINATOR_HELP)
    .action(act(async (target: string, o: CoordinatorOptions) => (await import('./commands/show.ts')).showCommand(target, o.coordinator)));
  program
    .command('report')
    .description('draw the accuracy and instability figures (SVG, PNG)')
    .argument('<run-dir|sweep>', 'a run directory written by `rewind run`, or the id of a finished cluster sweep')
    .option('--coordinator <host:port>', COORDINATOR_HELP)
    .option('--out <dir>', 'where a cluster sweep\'s figures go (default: runs/<sweep>)')
    .action(act(async (target: string, o: CoordinatorOptions & { out?: string }) => (await import('./commands/report.ts')).reportCommand(target, o)));
  program
    .command('find-rewind')
    .description('find the earliest stable rewind point')
    .argument('<spec.yaml>', 'the sweep spec')
    .option('--round <R>', 'the pruning round to probe (default: the last)')
    .option('--out <dir>', 'the run directory (default: runs/<name>-<hash>)')
    .action(act(async (spec: string, o: { round?: string; out?: string }) => (await import('./commands/find-rewind.ts')).findRewindCommand(spec, o.round, o.out)));

  program
    .command('dashboard')
    .description('serve the live dashboard of run directories (progress, figures, lineage, cancel)')
    .argument('<run-dir...>', 'run directories written by `rewind run`, finished or running')
    .option('--host <address>', 'where to listen; beyond loopback REWIND_DASHBOARD_TOKEN is required', '127.0.0.1')
    .option('--port <port>', 'the port (0 picks a free one)', '8080')
    .action(act(async (dirs: string[], o: DashboardCommandOptions) => (await import('./commands/dashboard.ts')).dashboardCommand(dirs, o)));

  program
    .command('export')
    .description('write a ticket as a PyTorch state dict (safetensors)')
    .argument('<id>', 'its trained weights, rewind checkpoint or mask id (full, or an unambiguous prefix)')
    .requiredOption('--run <dir>', 'the run directory that holds it')
    .option('--format <format>', 'the target framework', 'torch')
    .requiredOption('--out <file>', 'the .safetensors file to write')
    .option('--masks <style>', 'prune: weight_orig + BOOL weight_mask (torch.nn.utils.prune); none: plain weight', 'prune')
    .action(act(async (id: string, o: ExportOptions) => (await import('./commands/export.ts')).exportCommand(id, o)));

  program
    .command('data')
    .description('prepare image datasets')
    .command('pack')
    .description('pack an ImageFolder tree (train/<class>/*.JPEG, val/<class>/*.JPEG) into tar shards with an index')
    .requiredOption('--from <dir>', 'the ImageFolder tree')
    .requiredOption('--to <dir|s3://bucket/prefix>', 'where the shards and index.json go (S3: endpoint and keys from S3_URL, S3_ACCESS_KEY, S3_SECRET_KEY)')
    .option('--shard-size <size>', 'close a shard once it holds this much, e.g. 1GB or 256MB', '1GB')
    .option('--seed <n>', 'seed of the shuffle that mixes classes across shards', '0')
    .action(act(async (o: PackCommandOptions) => (await import('./commands/data.ts')).packCommand(o)));

  program.commandsGroup('Against a cluster:');
  program
    .command('submit')
    .description('submit a sweep to a cluster; prints its id')
    .argument('<spec.yaml>', 'the sweep spec')
    .option('--coordinator <host:port>', COORDINATOR_HELP)
    .action(act(async (spec: string, o: CoordinatorOptions) => (await cluster()).submitCommand(spec, await coordinator(o))));
  program
    .command('watch')
    .description("follow a sweep's progress until it ends")
    .argument('<sweep>', 'the sweep id printed by `rewind submit`')
    .option('--coordinator <host:port>', COORDINATOR_HELP)
    .option('--log-every <seconds>', 'without a terminal, print the status line this often (0: at every update)', '30')
    .action(act(async (sweep: string, o: CoordinatorOptions & { logEvery: string }) => (await cluster()).watchCommand(sweep, await coordinator(o), o.logEvery)));
  program
    .command('cancel')
    .description('stop a running sweep (its finished work stays in the ledger)')
    .argument('<sweep>', 'the sweep id')
    .option('--coordinator <host:port>', COORDINATOR_HELP)
    .action(act(async (sweep: string, o: CoordinatorOptions) => (await cluster()).cancelCommand(sweep, await coordinator(o))));
  program
    .command('resume')
    .description('run a failed or cancelled sweep again; finished work is not redone')
    .argument('<sweep>', 'the sweep id')
    .option('--coordinator <host:port>', COORDINATOR_HELP)
    .action(act(async (sweep: string, o: CoordinatorOptions) => (await cluster()).resumeCommand(sweep, await coordinator(o))));
  program
    .command('tickets')
    .description("list a sweep's tickets")
    .argument('<sweep>', 'the sweep id')
    .option('--coordinator <host:port>', COORDINATOR_HELP)
    .action(act(async (sweep: string, o: CoordinatorOptions) => (await cluster()).ticketsCommand(sweep, await coordinator(o))));
  program
    .command('lineage')
    .description('trace a ticket back to its rewind checkpoint')
    .argument('<ticket-mask-id>', "the ticket's mask id, or the short one `rewind tickets` prints")
    .option('--coordinator <host:port>', COORDINATOR_HELP)
    .action(act(async (ticket: string, o: CoordinatorOptions) => (await cluster()).lineageCommand(ticket, await coordinator(o))));
  program
    .command('analyses')
    .description("list a sweep's analyses, built-in and plug-in")
    .argument('<sweep>', 'the sweep id')
    .option('--coordinator <host:port>', COORDINATOR_HELP)
    .action(act(async (sweep: string, o: CoordinatorOptions) => (await import('./commands/analyses.ts')).analysesCommand(sweep, await coordinator(o))));

  return { program, exitCode: () => code };
}

export async function main(argv: string[]): Promise<number> {
  const { program, exitCode } = buildProgram();
  try {
    await traced(argv, () => program.parseAsync(argv, { from: 'user' }));
    return exitCode();
  } catch (e) {
    if (e instanceof CommanderError) return commanderExit(e, program, argv);
    // Ctrl-C or SIGTERM: finished work is in the ledger, and the interrupted training has its checkpoint.
    if ((e as Error | undefined)?.name === 'AbortError') return 130;
    if (isUserFacing(e)) {
      process.stderr.write(`rewind: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

/**
 * With REWIND_TRACE_FILE (OTLP-JSON lines) or an OTLP endpoint set, the command runs in a span of service
 * rewind-cli, flushed before exit; otherwise tracing is not even loaded.
 */
async function traced(argv: readonly string[], run: () => Promise<unknown>): Promise<void> {
  const env = process.env;
  if (!env.REWIND_TRACE_FILE && !env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    await run();
    return;
  }
  const { inSpan, startTelemetry } = await import('@rewind/telemetry');
  const telemetry = startTelemetry({ serviceName: 'rewind-cli' });
  try {
    await inSpan(`rewind ${argv[0] ?? ''}`.trim(), { attributes: { 'rewind.cli.args': argv.join(' ') } }, run);
  } finally {
    await telemetry.shutdown();
  }
}

/** Help and --version exit 0; a parse error names the problem and where the help is, exit 2. */
function commanderExit(e: CommanderError, program: Command, argv: readonly string[]): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
  // `rewind help <command>` (exit code 0), or `rewind` alone, whose help went to stderr.
  if (e.code === 'commander.help') return e.exitCode === 0 ? 0 : 2;
  if (e.code === 'commander.unknownCommand') {
    process.stderr.write(`rewind: unknown command ${JSON.stringify(argv[0])}\n\n${program.helpInformation()}`);
    return 2;
  }
  const command = program.commands.find((c) => c.name() === argv[0]);
  const helpHint = command ? `rewind ${command.name()} --help` : 'rewind --help';
  const message = e.message.replace(/^error: /, '').replace(/'([^']*)'/g, '"$1"').replace(/\.$/, '');
  process.stderr.write(`rewind${command ? ` ${command.name()}` : ''}: ${message}; see \`${helpHint}\`\n`);
  return 2;
}

const USER_FACING = new Set([
  'UsageError',
  'SpecError',
  'DatasetError',
  'ChecksumMismatchError',
  'CorruptCheckpointError',
  'CheckpointNotFoundError',
  'SafetensorsFormatError',
  'ServerUnavailableError',
  'InvalidArgumentError',
  'NotFoundError',
  'RemoteError',
]);

/** Errors about the user's input or environment (missing dataset, corrupt checkpoint, unknown flag). */
function isUserFacing(e: unknown): boolean {
  return e instanceof Error && USER_FACING.has(e.name);
}
