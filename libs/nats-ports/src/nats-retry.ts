/**
 * NATS calls that fail only while the server is away (a restart, a JetStream leader election) are retried
 * with capped, jittered backoff until a deadline, each wait logged; any other failure passes at once.
 * Retrying is safe because every write here is idempotent: publishes carry message ids, KV puts write the
 * same value again, and callers of a KV create read back an entry that already exists.
 *
 * A process has at most NATS_MAX_IN_FLIGHT such calls with the server at once; the rest wait here. A
 * coordinator resuming 10,000 runs asks for as many ledger entries at once: unbounded, they time out in
 * JetStream's API queue, their retries add to it, and the leader lease (renewed outside this limit) starves.
 */
import { ErrorCode, type KV } from 'nats';
import pLimit from 'p-limit';
import pRetry, { AbortError } from 'p-retry';

/** How long a NATS outage is waited out before the call fails (as for gRPC services: minutes). */
export const NATS_RETRY_DEADLINE_MS = 10 * 60_000;
export const NATS_MAX_IN_FLIGHT = 64;
const inFlight = pLimit(NATS_MAX_IN_FLIGHT);

const TRANSIENT_CODES = new Set<string>([ErrorCode.Timeout, ErrorCode.NoResponders, ErrorCode.ConnectionRefused, ErrorCode.ConnectionTimeout, ErrorCode.Disconnect]);

/** A failure that the server's return cures. A closed connection is not one: it never comes back. */
export function isTransientNatsError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (e.code !== undefined && TRANSIENT_CODES.has(e.code)) || /temporarily unavailable|no responders/i.test(e.message ?? '');
}

export interface NatsRetryOptions {
  readonly deadlineMs?: number;
  readonly log?: (line: string) => void;
}

export async function retryNats<T>(what: string, op: () => Promise<T>, options: NatsRetryOptions = {}): Promise<T> {
  const deadlineMs = options.deadlineMs ?? NATS_RETRY_DEADLINE_MS;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return pRetry(
    async () => {
      try {
        return await inFlight(op);
      } catch (err) {
        throw isTransientNatsError(err) ? err : new AbortError(err as Error);
      }
    },
    {
      forever: true,
      maxRetryTime: deadlineMs,
      factor: 2,
      minTimeout: 250,
      maxTimeout: 5_000,
      randomize: true,
      onFailedAttempt: (err) => log(`NATS: ${what} failed (${err.message}), attempt ${err.attemptNumber}; retrying`),
    },
  );
}

/** The KV operations the ports use, each retried through a NATS outage. */
export type RetryingKv = Pick<KV, 'get' | 'put' | 'create' | 'delete' | 'keys'>;

/** `kv` with every call retried; `what` names the bucket's entries in the log ("sweep record"). */
export function retryingKv(kv: KV, what: string): RetryingKv {
  return {
    get: (key, options) => retryNats(`reading ${what} ${key}`, () => kv.get(key, options)),
    put: (key, value, options) => retryNats(`writing ${what} ${key}`, () => kv.put(key, value, options)),
    create: (key, value) => retryNats(`creating ${what} ${key}`, () => kv.create(key, value)),
    delete: (key, options) => retryNats(`deleting ${what} ${key}`, () => kv.delete(key, options)),
    keys: (filter) => retryNats(`listing ${what}s`, () => kv.keys(filter)),
  };
}
