export type { PayloadKind, SpanRef } from './manifest.ts';
export { DEFAULT_RETRY, type RetryPolicy, S3UnavailableError } from './retry.ts';
export { s3Client } from './s3-client.ts';
export { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_CONNECTIONS, parseS3Config, type S3Config, type S3ConfigInput } from './s3-config.ts';
export { type CheckpointInfo, CheckpointNotFoundError, InvalidArgumentError, S3CheckpointStore } from './s3-checkpoint-store.ts';
