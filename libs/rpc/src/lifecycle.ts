/**
 * Process lifecycle shared by every service: config errors exit 2 with the message alone; SIGTERM/SIGINT
 * run the service's graceful stop once (a second signal forces exit); telemetry flushes last.
 */
import { startTelemetry } from '@rewind/telemetry';
import { ConfigError } from './env-config.ts';

export interface Service {
  /** Printed once listening/ready, e.g. "pruner listening on 0.0.0.0:7002". */
  readonly banner: string;
  stop(): Promise<void>;
}

export async function runService(name: string, start: () => Promise<Service>): Promise<void> {
  const telemetry = startTelemetry({ serviceName: `rewind-${name}` });
  let service: Service;
  try {
    service = await start();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      await telemetry.shutdown();
      process.exit(2);
    }
    process.stderr.write(`${name}: failed to start: ${(err as Error).stack ?? err}\n`);
    await telemetry.shutdown();
    process.exit(1);
  }
  process.stdout.write(`${service.banner}\n`);
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      process.stderr.write(`${name}: ${signal} again, exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`${name}: ${signal}, shutting down\n`);
    let code = 0;
    try {
      await service.stop();
    } catch (err) {
      process.stderr.write(`${name}: shutdown failed: ${(err as Error).message}\n`);
      code = 1;
    }
    await telemetry.shutdown();
    process.stdout.write(`${name}: stopped\n`);
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
