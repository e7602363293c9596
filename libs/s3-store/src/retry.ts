/** Retries calls to the S3 server while it is unreachable, then fails naming the server. */

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
  readonly attempts: number;
  readonly baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200 };

export async function withRetry<T>(server: string, what: string, policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isTransient(err)) throw err;
      if (attempt >= policy.attempts) {
        throw new S3UnavailableError(
          `S3 server ${server} is unreachable (${what}, ${attempt} attempts): ${(err as Error).message}`,
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, policy.baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}
