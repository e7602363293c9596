/** The two infrastructure servers of a local cluster, each in its own process. */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Child } from './child-process.ts';
import { freePort } from './free-port.ts';

export interface LocalServer {
  readonly child: Child;
  readonly url: string;
}

/** nats-server with JetStream, its store under `dir`. */
export async function startNatsServer(dir: string, options: { port?: number; echo?: boolean } = {}): Promise<LocalServer> {
  const port = options.port ?? (await freePort());
  await mkdir(dir, { recursive: true });
  const child = await Child.start({
    name: 'nats-server',
    command: process.env.NATS_SERVER_BIN ?? 'nats-server',
    args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
    readyWhen: /Server is ready/,
    echo: options.echo ?? false,
  });
  return { child, url: `nats://127.0.0.1:${port}` };
}

/** s3rver (the local S3 server), its objects under `dir`. Credentials are S3RVER/S3RVER. */
export async function startS3rver(dir: string, options: { port?: number; echo?: boolean } = {}): Promise<LocalServer> {
  const port = options.port ?? (await freePort());
  await mkdir(dir, { recursive: true });
  const bin = join(dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const child = await Child.start({
    name: 's3rver',
    command: process.execPath,
    args: [bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port)],
    readyWhen: /S3rver listening|listening on/i,
    echo: options.echo ?? false,
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

export const S3RVER_CREDENTIALS = { accessKey: 'S3RVER', secretKey: 'S3RVER' } as const;
