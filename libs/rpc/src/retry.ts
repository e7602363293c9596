/**
 * Retrying calls while a server is UNAVAILABLE (down, restarting, not yet listening), with capped
 * exponential backoff and jitter (p-retry), bounded by a number of attempts or by a deadline. Services ride
 * out outages of minutes; the CLI gives up after a few seconds so a wrong address is reported quickly.
 */
import { type ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import pRetry, { AbortError } from 'p-retry';
import { RemoteError, ServerUnavailableError } from './errors.ts';

export interface RetryPolicy {
  /** Gives up after this many attempts (default: unlimited while `deadlineMs` lasts). */
  readonly attempts?: number;
  /** Gives up once this long has passed since the first attempt. */
  readonly deadlineMs?: number;
  /** First wait; each next one doubles (times a random 1–2 factor), up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs?: number;
  /** Told about each wait, one line. */
  readonly log?: (line: string) => void;
}

/** For interactive clients: 6 attempts over at most about 7.5 s, then an error naming the server. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250, maxDelayMs: 2000 };

export const DEFAULT_SERVICE_RETRY_DEADLINE_MS = 10 * 60_000;

/** Between services: retries for `deadlineMs` (10 minutes by default), waits capped at 15 s, each logged. */
export function serviceRetry(deadlineMs = DEFAULT_SERVICE_RETRY_DEADLINE_MS, log: (line: string) => void = console.error): RetryPolicy {
  return { deadlineMs, baseDelayMs: 250, maxDelayMs: 15_000, log };
}

/** Runs `call`, retrying while the server is UNAVAILABLE; other failures become a RemoteError at once. */
export async function callWithRetry<T>(server: string, policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let attempts = 0;
  let lastUnavailable: unknown;
  let passedOn = false;
  try {
    return await pRetry(
      async () => {
        attempts++;
        try {
          return await call();
        } catch (err) {
          const e = err as ServiceError;
          if (e.code === GrpcStatus.UNAVAILABLE) {
            lastUnavailable = err;
            throw err;
          }
          passedOn = true;
          throw new AbortError(typeof e.code === 'number' ? new RemoteError(server, e.code, e.details || e.message) : (err as Error));
        }
      },
      {
        // `forever` repeats the last (capped) wait once the attempts are used, until `maxRetryTime`.
        ...(policy.attempts !== undefined ? { retries: policy.attempts - 1 } : { forever: true }),
        ...(policy.deadlineMs !== undefined ? { maxRetryTime: policy.deadlineMs } : {}),
        factor: 2,
        minTimeout: policy.baseDelayMs,
        maxTimeout: policy.maxDelayMs ?? Number.POSITIVE_INFINITY,
        randomize: true,
        onFailedAttempt: (err) => {
          if (policy.attempts !== undefined && err.retriesLeft <= 0) return;
          const left = policy.deadlineMs === undefined ? '' : `, giving up in ${Math.max(0, Math.round((policy.deadlineMs - (Date.now() - started)) / 1000))} s`;
          policy.log?.(`${server} is unavailable (attempt ${err.attemptNumber}: ${detailsOf(err)}); retrying${left}`);
        },
      },
    );
  } catch (err) {
    if (passedOn || lastUnavailable === undefined) throw err;
    const over = policy.deadlineMs === undefined ? '' : ` over ${Math.round((Date.now() - started) / 1000)} s`;
    throw new ServerUnavailableError(`${server} is unavailable after ${attempts} attempts${over}: ${detailsOf(lastUnavailable)}`, {
      cause: lastUnavailable,
    });
  }
}

function detailsOf(err: unknown): string {
  const e = err as ServiceError;
  return e.details || e.message;
}
