/**
 * Retries calls to the S3 server while it is unreachable, with capped exponential backoff and jitter
 * (p-retry), until a deadline (10 minutes by default), logging each wait; then fails naming the server.
 */
import pRetry, { AbortError } from 'p-retry';

const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH']);

export class S3UnavailableError extends Error {
  override name = 'S3UnavailableError';
}

function isTransient(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string }; errors?: { code?: string }[] };
  const codes = [e?.code, e?.cause?.code, ...(e?.errors ?? []).map((x) => x.code)];
  return codes.some((c) => c !== undefined && TRANSIENT.has(c));
}

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

export const DEFAULT_RETRY: RetryPolicy = { deadlineMs: 10 * 60_000, baseDelayMs: 200, maxDelayMs: 15_000, log: console.error };

export async function withRetry<T>(server: string, what: string, policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let attempts = 0;
  let lastTransient: unknown;
  let passedOn = false;
  try {
    return await pRetry(
      async () => {
        attempts++;
        try {
          return await call();
        } catch (err) {
          if (isTransient(err)) {
            lastTransient = err;
            throw err;
          }
          passedOn = true;
          throw new AbortError(err as Error);
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
          const left =
            policy.deadlineMs === undefined ? '' : `, giving up in ${Math.max(0, Math.round((policy.deadlineMs - (Date.now() - started)) / 1000))} s`;
          policy.log?.(`S3 server ${server} is unreachable (${what}, attempt ${err.attemptNumber}: ${err.message}); retrying${left}`);
        },
      },
    );
  } catch (err) {
    if (passedOn || lastTransient === undefined) throw err;
    throw new S3UnavailableError(
      `S3 server ${server} is unreachable (${what}, ${attempts} attempts over ${Math.round((Date.now() - started) / 1000)} s): ${(lastTransient as Error).message}`,
      { cause: lastTransient },
    );
  }
}
