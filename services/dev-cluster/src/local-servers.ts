/** The two infrastructure servers of a local cluster, each in its own process. */
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { natsAuthorization } from '@rewind/nats-ports';
import type { IdentityFiles } from './certificates.ts';
import { Child } from './child-process.ts';
import { freePort } from './free-port.ts';

export interface LocalServer {
  readonly child: Child;
  readonly url: string;
}

export interface NatsServerOptions {
  readonly port?: number;
  readonly echo?: boolean;
  /**
   * The server's own certificate: then only TLS clients with a certificate from the same CA get in, each
   * as the user its certificate names, with that role's permissions (nats-ports' NATS_PERMISSIONS).
   * Without it the server is anonymous, for the unit tests of single components.
   */
  readonly tls?: IdentityFiles;
}

/** nats-server with JetStream, its store under `dir`. */
export async function startNatsServer(dir: string, options: NatsServerOptions = {}): Promise<LocalServer> {
  const port = options.port ?? (await freePort());
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'nats.conf');
  await writeFile(config, natsConfig(port, dir, options.tls));
  const child = await Child.start({
    name: 'nats-server',
    command: process.env.NATS_SERVER_BIN ?? 'nats-server',
    args: ['-c', config],
    readyWhen: /Server is ready/,
    echo: options.echo ?? false,
  });
  return { child, url: `${options.tls ? 'tls' : 'nats'}://127.0.0.1:${port}` };
}

/** nats-server's configuration (its format takes JSON values). */
export function natsConfig(port: number, storeDir: string, tls: IdentityFiles | undefined): string {
  const lines = [`listen: ${JSON.stringify(`127.0.0.1:${port}`)}`, `jetstream: { store_dir: ${JSON.stringify(storeDir)} }`];
  if (tls) {
    lines.push(`tls: ${JSON.stringify({ cert_file: tls.cert, key_file: tls.key, ca_file: tls.ca, verify_and_map: true, timeout: 5 })}`);
    lines.push(`authorization: ${JSON.stringify(natsAuthorization())}`);
  }
  return `${lines.join('\n')}\n`;
}

/** s3rver (the local S3 server), its objects under `dir`, over https when given a certificate. Credentials are S3RVER/S3RVER. */
export async function startS3rver(dir: string, options: { port?: number; echo?: boolean; tls?: IdentityFiles } = {}): Promise<LocalServer> {
  const port = options.port ?? (await freePort());
  await mkdir(dir, { recursive: true });
  const bin = join(dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const child = await Child.start({
    name: 's3rver',
    command: process.execPath,
    args: [bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), ...(options.tls ? ['--key', options.tls.key, '--cert', options.tls.cert] : [])],
    readyWhen: /S3rver listening|listening on/i,
    echo: options.echo ?? false,
  });
  return { child, url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}` };
}

export const S3RVER_CREDENTIALS = { accessKey: 'S3RVER', secretKey: 'S3RVER' } as const;
