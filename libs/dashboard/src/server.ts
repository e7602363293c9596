/**
 * The dashboard over HTTP: the page, a sweep list, one server-sent-event stream of snapshots per sweep,
 * cancel and lineage. On a loopback address it is open to this machine only; anywhere else a token is
 * required (secure by default), given once as `?token=` and then kept in an HttpOnly cookie.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopback, secretMatches } from '@rewind/metrics';
import { loadAssets } from './assets.ts';
import type { SweepSource } from './source.ts';
import { SweepFeeds } from './sweep-feeds.ts';

export interface DashboardOptions {
  readonly host: string;
  readonly port: number;
  /** Required unless `host` is a loopback address. */
  readonly token?: string;
  readonly source: SweepSource;
  /** How often a changed sweep's snapshot is sent (ms). */
  readonly everyMs?: number;
  readonly log?: (line: string) => void;
}

export interface DashboardServer {
  readonly port: number;
  close(): Promise<void>;
}

export class DashboardConfigError extends Error {
  override name = 'UsageError';
}

const COOKIE = 'rewind_dashboard';
const SWEEP_ID = /^sweep_[0-9a-f]{16}$/;
const CHECKPOINT_PREFIX = /^[0-9a-f]{8,64}$/;
/** A header a cross-site form cannot send, and a cross-site script cannot without a preflight we refuse. */
export const CSRF_HEADER = 'x-rewind-dashboard';
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
const STATUS_OF_ERROR: Readonly<Record<string, number>> = { InvalidArgumentError: 400, NotFoundError: 404, FailedPreconditionError: 409 };

export async function startDashboard(options: DashboardOptions): Promise<DashboardServer> {
  const { host, port, token, source } = options;
  if (!isLoopback(host) && !token) {
    throw new DashboardConfigError(`the dashboard on ${host} would be open to the network: set REWIND_DASHBOARD_TOKEN, or listen on 127.0.0.1`);
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const assets = loadAssets();
  const feeds = new SweepFeeds(source, options.everyMs ?? 1000);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (isLoopback(host) && !isLoopback(hostnameOf(req.headers.host))) return reply(res, 421, { error: 'requests must name this machine (localhost) as their host' });
    if (token && !authorized(req, token)) {
      // The token once in the address: kept as a cookie, then dropped from the address bar and history.
      if (req.method === 'GET' && url.pathname === '/' && secretMatches(url.searchParams.get('token') ?? undefined, token)) {
        res.writeHead(303, { location: '/', 'set-cookie': `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`, ...SECURITY_HEADERS }).end();
        return;
      }
      return reply(res, 401, { error: 'unauthorized: open the address with ?token=<REWIND_DASHBOARD_TOKEN>, or send Authorization: Bearer <token>' });
    }
    const asset = req.method === 'GET' ? assets.get(url.pathname) : undefined;
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, ...SECURITY_HEADERS }).end(asset.body);
      return;
    }
    const [api, sweeps, sweepId, action, maskId, ...rest] = url.pathname.split('/').slice(1);
    if (api !== 'api' || sweeps !== 'sweeps' || rest.length > 0) return reply(res, 404, { error: `no such page: ${req.method} ${url.pathname.slice(0, 80)}` });
    if (sweepId === undefined) return req.method === 'GET' ? reply(res, 200, { sweeps: await source.sweeps() }) : notAllowed(res, 'GET');
    if (!SWEEP_ID.test(sweepId)) return reply(res, 400, { error: 'a sweep id is sweep_ and 16 hex digits' });
    if (action === 'events' && maskId === undefined) {
      if (req.method !== 'GET') return notAllowed(res, 'GET');
      return feeds.stream(sweepId, req, res, SECURITY_HEADERS);
    }
    if (action === 'cancel' && maskId === undefined) {
      if (req.method !== 'POST') return notAllowed(res, 'POST');
      if (req.headers[CSRF_HEADER] !== '1') return reply(res, 403, { error: `send the header ${CSRF_HEADER}: 1` });
      const state = await source.cancel(sweepId);
      log(`dashboard: cancel of ${sweepId} requested (${state})`);
      return reply(res, 202, { state });
    }
    if (action === 'lineage' && maskId !== undefined) {
      if (req.method !== 'GET') return notAllowed(res, 'GET');
      if (!CHECKPOINT_PREFIX.test(maskId)) return reply(res, 400, { error: 'a mask id is 8 to 64 lowercase hex digits' });
      return reply(res, 200, await source.lineage(sweepId, maskId));
    }
    return reply(res, 404, { error: `no such page: ${req.method} ${url.pathname.slice(0, 80)}` });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      const status = STATUS_OF_ERROR[e.name];
      if (status === undefined) log(`dashboard: ${req.method} ${req.url?.slice(0, 120)} failed: ${e.stack ?? e.message}`);
      if (res.headersSent) res.end();
      else reply(res, status ?? 500, { error: status === undefined ? 'internal error; see the server log' : e.message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL' ? new DashboardConfigError(`cannot listen on ${host}:${port} (${e.code}); choose another port (0 picks a free one) or address`) : e),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      // Once listening, a server error (e.g. out of file descriptors) is logged, not a crash.
      server.on('error', (e) => log(`dashboard: ${e.message}`));
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      feeds.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function authorized(req: IncomingMessage, token: string): boolean {
  if (secretMatches(req.headers.authorization, `Bearer ${token}`)) return true;
  const cookie = (req.headers.cookie ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
  if (cookie === undefined) return false;
  try {
    return secretMatches(decodeURIComponent(cookie.slice(COOKIE.length + 1)), token);
  } catch {
    return false;
  }
}

/** `localhost:8080` → `localhost`, `[::1]:8080` → `::1`. */
function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const bracketed = /^\[([^\]]+)\]/.exec(hostHeader);
  return bracketed ? bracketed[1]! : hostHeader.replace(/:\d+$/, '');
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', ...SECURITY_HEADERS }).end(JSON.stringify(body));
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  reply(res, 405, { error: `method not allowed; use ${allow}` });
}
