/** Where the S3 (or MinIO) server lives, parsed once from a URL so a typo fails at start, not mid-sweep. */
export interface S3Config {
  readonly endPoint: string;
  readonly port: number;
  readonly useSSL: boolean;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly region: string;
  /** Objects are split into chunks of this many bytes (default 16 MiB; must stay well under 64 MiB). */
  readonly chunkBytes: number;
  /** PEM certificates to trust for an https endpoint signed by a private CA (e.g. in-cluster MinIO); else the system's. */
  readonly ca?: string;
  /** Connections to the server at most; further requests wait for one (a burst must not overrun the server's backlog). */
  readonly maxConnections: number;
}

export const DEFAULT_MAX_CONNECTIONS = 32;

export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
/** Servers without multipart listing (s3rver) can't serve objects of 64 MiB and more through minio-js. */
const MAX_CHUNK_BYTES = 32 * 1024 * 1024;

export interface S3ConfigInput {
  /** e.g. http://127.0.0.1:4568 or https://minio.example:9000 */
  readonly url: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly region?: string;
  readonly chunkBytes?: number;
  readonly ca?: string;
  readonly maxConnections?: number;
}

export function parseS3Config(input: S3ConfigInput): S3Config {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new Error(`S3 endpoint "${input.url}" is not a URL (expected e.g. http://127.0.0.1:4568)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`S3 endpoint "${input.url}" must use http or https`);
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(input.bucket)) {
    throw new Error(`S3 bucket "${input.bucket}" is not a valid bucket name (3-63 lowercase letters, digits, dots, dashes)`);
  }
  const chunkBytes = input.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
    throw new Error(`S3 chunk size must be an integer from 1 to ${MAX_CHUNK_BYTES} bytes, got ${chunkBytes}`);
  }
  const maxConnections = input.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 1024) {
    throw new Error(`S3 connections must be an integer from 1 to 1024, got ${maxConnections}`);
  }
  const useSSL = url.protocol === 'https:';
  if (input.ca !== undefined && !useSSL) throw new Error(`S3 endpoint "${input.url}" is plain http: a CA to trust needs https`);
  if (input.ca !== undefined && !input.ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('the S3 CA holds no PEM certificate');
  return {
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: input.accessKey,
    secretKey: input.secretKey,
    bucket: input.bucket,
    region: input.region ?? 'us-east-1',
    chunkBytes,
    maxConnections,
    ...(input.ca !== undefined ? { ca: input.ca } : {}),
  };
}
