/**
 * TLS for every gRPC connection, from certificate files named in the environment: REWIND_TLS_CA (the CA
 * that signs every service and client), REWIND_TLS_CERT and REWIND_TLS_KEY (this process's own pair).
 * Servers then require a client certificate from that CA (mutual TLS), so an anonymous or foreign client
 * is refused during the handshake. A server with none of the three set refuses to start unless
 * REWIND_INSECURE=1 says plaintext is meant (a private machine); a client with none speaks plaintext.
 */
import { readFileSync } from 'node:fs';
import { type ChannelCredentials, credentials, ServerCredentials } from '@grpc/grpc-js';
import { ConfigError } from './env-config.ts';

export interface TlsFiles {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

const VARIABLES = { ca: 'REWIND_TLS_CA', cert: 'REWIND_TLS_CERT', key: 'REWIND_TLS_KEY' } as const;

/** The three files, all or none; a missing variable or unreadable file is named in one error. */
export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env): TlsFiles | undefined {
  const set = Object.values(VARIABLES).filter((name) => env[name]);
  if (set.length === 0) return undefined;
  const problems: string[] = [];
  const read = (name: string): Buffer => {
    const path = env[name];
    if (!path) {
      problems.push(`${name} is required when ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set`);
      return Buffer.alloc(0);
    }
    try {
      return readFileSync(path);
    } catch (err) {
      problems.push(`${name}="${path}" cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return Buffer.alloc(0);
    }
  };
  const files = { ca: read(VARIABLES.ca), cert: read(VARIABLES.cert), key: read(VARIABLES.key) };
  if (problems.length > 0) throw new ConfigError(`TLS configuration: ${problems.join('; ')}`);
  return files;
}

/** Plaintext, named where a server is meant to run without TLS (tests in one process, health probes). */
export const PLAINTEXT = 'plaintext';

/**
 * Mutual TLS: the server proves itself and demands a client certificate from the same CA. Without
 * certificates the server runs plaintext only if asked to, by PLAINTEXT or REWIND_INSECURE=1.
 */
export function serverCredentials(tls: TlsFiles | typeof PLAINTEXT | undefined, env: NodeJS.ProcessEnv = process.env): ServerCredentials {
  if (tls === PLAINTEXT) return ServerCredentials.createInsecure();
  if (tls === undefined) {
    if (env.REWIND_INSECURE === '1') return ServerCredentials.createInsecure();
    throw new ConfigError(
      `gRPC is served over mutual TLS only: set ${Object.values(VARIABLES).join(', ')} (infra/README.md), or REWIND_INSECURE=1 for plaintext on a private machine`,
    );
  }
  return ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

export function clientCredentials(tls: TlsFiles | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  return credentials.createSsl(tls.ca, tls.key, tls.cert);
}

/** This process's client credentials, from the environment (read once). */
let fromEnv: ChannelCredentials | undefined;
export function channelCredentials(): ChannelCredentials {
  fromEnv ??= clientCredentials(tlsFromEnv());
  return fromEnv;
}
