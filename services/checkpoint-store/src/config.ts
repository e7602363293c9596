import { readFileSync } from 'node:fs';
import { ConfigError, EnvReader } from '@rewind/rpc';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_RETRY, parseS3Config, type RetryPolicy, type S3Config } from '@rewind/s3-store';

export interface StoreServiceConfig {
  readonly host: string;
  readonly port: number;
  /** Plaintext grpc.health.v1 for Kubernetes' probes (HEALTH_PORT); none if unset. */
  readonly healthPort: number | undefined;
  readonly s3: S3Config;
  /** How long S3 calls are retried while the server is unreachable. */
  readonly s3Retry: RetryPolicy;
  /** Memory for recently written or read checkpoints (CACHE_MB; 0 turns the cache off). */
  readonly cacheBytes: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): StoreServiceConfig {
  const r = new EnvReader('checkpoint-store', env);
  const host = r.listenHost();
  const port = r.int('PORT', 7001, 0, 65535);
  const healthPort = r.optionalPort('HEALTH_PORT');
  const url = r.url('S3_URL', ['http', 'https']);
  const accessKey = r.string('S3_ACCESS_KEY');
  const secretKey = r.string('S3_SECRET_KEY');
  const bucket = r.string('S3_BUCKET', 'rewind-checkpoints');
  const chunkBytes = r.int('S3_CHUNK_BYTES', 16 * 1024 * 1024, 1, 32 * 1024 * 1024);
  const maxConnections = r.int('S3_MAX_CONNECTIONS', DEFAULT_MAX_CONNECTIONS, 1, 1024);
  const retryDeadlineS = r.int('RETRY_DEADLINE_S', DEFAULT_RETRY.deadlineMs! / 1000, 1, 24 * 3600);
  const cacheMb = r.int('CACHE_MB', 256, 0, 64 * 1024);
  // The CA that signed an https S3 endpoint's certificate, when the system does not trust it (in-cluster MinIO).
  const caFile = r.string('S3_CA_FILE', '');
  const config = r.done({ host, port, url, accessKey, secretKey, bucket, chunkBytes, maxConnections, retryDeadlineS, cacheMb });
  return {
    host,
    port,
    healthPort,
    s3: parseS3Config({ ...config, ...(caFile ? { ca: readCa(caFile) } : {}) }),
    s3Retry: { ...DEFAULT_RETRY, deadlineMs: retryDeadlineS * 1000 },
    cacheBytes: cacheMb * 1024 * 1024,
  };
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`checkpoint-store: S3_CA_FILE="${path}" cannot be read: ${(err as Error).message}`);
  }
}
