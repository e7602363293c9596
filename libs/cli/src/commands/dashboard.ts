/** `rewind dashboard <run-dir...>`: the live dashboard for embedded runs, until Ctrl-C. */
import { RunDirSource, startDashboard } from '@rewind/dashboard';
import { UsageError } from '../spec-file.ts';

export interface DashboardCommandOptions {
  readonly host: string;
  readonly port: string;
}

export async function dashboardCommand(runDirs: readonly string[], o: DashboardCommandOptions): Promise<number> {
  const port = Number(o.port);
  if (o.port.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: "${o.port}" is not a port number (0 to 65535; 0 picks a free one)`);
  const token = process.env.REWIND_DASHBOARD_TOKEN || undefined;
  const source = await RunDirSource.open(runDirs);
  const server = await startDashboard({ host: o.host, port, source, ...(token ? { token } : {}) });
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
  // The token stays out of the terminal's scrollback: the user has it already.
  process.stdout.write(`http://${shown}:${server.port}/${token ? '?token=<REWIND_DASHBOARD_TOKEN>' : ''}\n`);
  process.stderr.write(`rewind: dashboard for ${runDirs.join(', ')}; Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
