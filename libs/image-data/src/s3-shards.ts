/**
 * Tar shards in S3 (or MinIO), read with ranged GETs at the offsets in `index.json`: nothing but the
 * samples in flight is buffered, however large a shard is, and the pipeline's prefetch is the read-ahead.
 * A failing call is retried with backoff while the server is unreachable or busy, then fails naming the
 * bucket and key.
 */
import { DatasetError } from '@rewind/data';
import type * as Minio from 'minio';
import pRetry, { AbortError } from 'p-retry';
import type { ImageSource } from './image-source.ts';
import { INDEX_FILE, parseShardIndex, type ShardIndex, type SplitName, shardSizes } from './shard-index.ts';

export interface S3Location {
  readonly client: Minio.Client;
  readonly bucket: string;
  /** Key prefix of the dataset, without a trailing slash ('' for the bucket's root). */
  readonly prefix: string;
  /** Attempts per call before giving up (default 5, backoff from 200 ms doubling). */
  readonly attempts?: number;
  readonly minDelayMs?: number;
}

const HINT = 'Check the S3 endpoint and credentials, and that `rewind data pack --to s3://…` finished (index.json is written last)';
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'SlowDown', 'InternalError', 'ServiceUnavailable']);

function isTransient(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string }; errors?: { code?: string }[] };
  return [e?.code, e?.cause?.code, ...(e?.errors ?? []).map((x) => x.code)].some((c) => c !== undefined && TRANSIENT.has(c));
}

/** "s3://bucket/some/prefix" → bucket and prefix; undefined for anything else. */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*?))?\/?$/.exec(url);
  return match ? { bucket: match[1]!, prefix: match[2] ?? '' } : undefined;
}

export function s3Key(prefix: string, file: string): string {
  return prefix ? `${prefix}/${file}` : file;
}

async function call<T>(location: S3Location, key: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await pRetry(
      async () => {
        try {
          return await run();
        } catch (error) {
          throw isTransient(error) ? error : new AbortError(error as Error);
        }
      },
      { retries: (location.attempts ?? 5) - 1, minTimeout: location.minDelayMs ?? 200, factor: 2 },
    );
  } catch (error) {
    const problem = (error as { code?: string }).code === 'NoSuchKey' || (error as { code?: string }).code === 'NotFound' ? 'missing' : 'malformed';
    throw new DatasetError(problem, `s3://${location.bucket}/${key}`, `${what} failed: ${(error as Error).message}`, HINT);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readS3Index(location: S3Location): Promise<ShardIndex> {
  const key = s3Key(location.prefix, INDEX_FILE);
  const text = (await call(location, key, 'reading the shard index', async () => readAll(await location.client.getObject(location.bucket, key)))).toString('utf8');
  try {
    return parseShardIndex(JSON.parse(text), `s3://${location.bucket}/${key}`);
  } catch (cause) {
    if (cause instanceof SyntaxError) throw new DatasetError('malformed', `s3://${location.bucket}/${key}`, `shard index is not JSON: ${cause.message}`, HINT);
    throw cause;
  }
}

export async function openS3Shards(location: S3Location, split: SplitName): Promise<ImageSource> {
  const index = await readS3Index(location);
  const shards = index.splits[split];
  const keys = shards.map((s) => s3Key(location.prefix, s.file));
  await Promise.all(
    shards.map(async (shard, i) => {
      const { size } = await call(location, keys[i]!, 'checking the shard', () => location.client.statObject(location.bucket, keys[i]!));
      if (size !== shard.bytes) {
        throw new DatasetError('malformed', `s3://${location.bucket}/${keys[i]}`, `shard has ${size} bytes but the index says ${shard.bytes} (truncated, or not the shard the index describes)`, HINT);
      }
    }),
  );
  return {
    where: `s3://${location.bucket}/${location.prefix}`,
    classes: index.classes,
    shardSizes: shardSizes(shards),
    maxSampleBytes: Math.max(0, ...shards.flatMap((s) => s.lengths)),
    labelOf: (shard, i) => shards[shard]!.labels[i]!,
    async read(shard, i) {
      const { offsets, lengths } = shards[shard]!;
      const bytes = await call(location, keys[shard]!, `reading sample ${i}`, async () =>
        readAll(await location.client.getPartialObject(location.bucket, keys[shard]!, offsets[i]!, lengths[i]!)),
      );
      // A copy that owns its memory, so it can be moved to a decode worker (Buffers may share a pool).
      return new Uint8Array(bytes);
    },
    describe: (shard, i) => `s3://${location.bucket}/${keys[shard]} sample ${i} (bytes ${shards[shard]!.offsets[i]}+${shards[shard]!.lengths[i]})`,
    async close() {},
  };
}
