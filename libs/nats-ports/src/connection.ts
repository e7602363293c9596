/**
 * Connecting to NATS and declaring the JetStream streams and buckets every component relies on.
 * Declarations are idempotent, so whichever component starts first creates them.
 */
import { isIP } from 'node:net';
import { type TlsFiles, tlsFromEnv } from '@rewind/rpc';
import { connect, type JetStreamManager, type NatsConnection, nanos, RetentionPolicy, StorageType } from 'nats';
import { type JetStreamLayout, layoutFromEnv } from './layout.ts';
import { ALL_EVENTS_FILTER, EVENTS_STREAM, JOB_RESULTS_BUCKET, JOBS_STREAM, LEDGER_BUCKET, SWEEPS_BUCKET, TRAIN_SUBJECT } from './subjects.ts';

export class NatsUnavailableError extends Error {
  override name = 'NatsUnavailableError';
}

export interface ConnectOptions {
  /** Connection name shown by the server (e.g. "trainer-7f9c"). */
  readonly name: string;
  readonly attempts?: number;
  readonly delayMs?: number;
  /** This process's certificate, which is also its NATS identity (permissions.ts); by default REWIND_TLS_*. */
  readonly tls?: TlsFiles;
}

/** Retries the first connection, then fails naming the server; later disconnects reconnect forever. */
export async function connectNats(url: string, options: ConnectOptions): Promise<NatsConnection> {
  const attempts = options.attempts ?? 10;
  const files = options.tls ?? tlsFromEnv();
  // A server named by its IP address is verified against the certificate's IP SAN; sending that address
  // as the TLS server name (SNI) is not allowed (RFC 6066), and Node says so on every connection.
  const byAddress = url.split(',').every((server) => isIP(new URL(server.trim()).hostname) !== 0);
  const tls = files && { ca: files.ca.toString(), cert: files.cert.toString(), key: files.key.toString(), ...(byAddress ? { servername: undefined } : {}) };
  let last: unknown;
  for (let i = 1; i <= attempts; i++) {
    try {
      return await connect({ servers: url, name: options.name, maxReconnectAttempts: -1, reconnectTimeWait: 500, tls });
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, (options.delayMs ?? 300) * i));
    }
  }
  throw new NatsUnavailableError(`NATS server at ${url} is unreachable after ${attempts} attempts: ${(last as Error).message}`);
}

export async function declareJetStream(nc: NatsConnection, layout: JetStreamLayout = layoutFromEnv(process.env)): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await ensureStream(jsm, JOBS_STREAM, {
    subjects: [TRAIN_SUBJECT],
    // Work queue: a job is removed once acked, and each job goes to exactly one consumer at a time.
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(layout.jobDedupeMs),
    num_replicas: layout.replicas,
  });
  await ensureStream(jsm, EVENTS_STREAM, {
    subjects: [ALL_EVENTS_FILTER],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: nanos(layout.eventDedupeMs),
    num_replicas: layout.replicas,
  });
  const js = nc.jetstream();
  for (const bucket of [LEDGER_BUCKET, JOB_RESULTS_BUCKET, SWEEPS_BUCKET]) {
    await js.views.kv(bucket, { history: 1, storage: StorageType.File, replicas: layout.replicas });
  }
}

/**
 * For the roles that may not create streams (trainers, plug-ins): waits until the coordinator has declared
 * every stream and bucket, or fails after `deadlineMs` saying so.
 */
export async function awaitJetStream(nc: NatsConnection, deadlineMs = 300_000): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const names = [JOBS_STREAM, EVENTS_STREAM, ...[LEDGER_BUCKET, JOB_RESULTS_BUCKET, SWEEPS_BUCKET].map((b) => `KV_${b}`)];
  const until = Date.now() + deadlineMs;
  for (;;) {
    const missing: string[] = [];
    for (const name of names) {
      try {
        await jsm.streams.info(name);
      } catch (err) {
        if (!(err as Error).message.includes('stream not found')) throw err;
        missing.push(name);
      }
    }
    if (missing.length === 0) return;
    if (Date.now() >= until) {
      throw new NatsUnavailableError(`JetStream has no ${missing.join(', ')} after ${deadlineMs / 1000} s: the coordinator declares them; is it running?`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  config: Parameters<JetStreamManager['streams']['add']>[0],
): Promise<void> {
  try {
    await jsm.streams.info(name);
    await jsm.streams.update(name, { ...config, name } as Parameters<JetStreamManager['streams']['update']>[1]);
  } catch (err) {
    if ((err as Error).message.includes('stream not found')) await jsm.streams.add({ ...config, name });
    else throw err;
  }
}
