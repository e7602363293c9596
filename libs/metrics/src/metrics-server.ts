/**
 * GET /metrics over HTTP. On a loopback address anyone local may read it; on any other address a bearer
 * token is required, and starting there without one is refused (secure by default).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  readonly host: string;
  readonly port: number;
  /** Required unless `host` is a loopback address. */
  readonly token?: string;
  readonly registry: Registry;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export class MetricsConfigError extends Error {
  override name = 'MetricsConfigError';
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Compares in constant time, so the answer's timing does not leak how much of a token was right. */
export function secretMatches(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startMetricsServer({ host, port, token, registry }: MetricsServerOptions): Promise<MetricsServer> {
  if (!isLoopback(host) && !token) {
    throw new MetricsConfigError(`metrics on ${host} would be open to the network: set REWIND_METRICS_TOKEN, or listen on 127.0.0.1`);
  }
  const expected = token ? `Bearer ${token}` : undefined;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    if (expected) {
      if (!secretMatches(req.headers.authorization, expected)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('unauthorized: send Authorization: Bearer <REWIND_METRICS_TOKEN>\n');
        return;
      }
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
