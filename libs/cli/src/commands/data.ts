/**
 * `rewind data pack`: an ImageFolder tree → tar shards + index.json, in a folder or in S3 (endpoint and
 * keys from S3_URL, S3_ACCESS_KEY, S3_SECRET_KEY and optionally S3_CA_FILE, as for the checkpoint store).
 * For S3 each shard is uploaded as soon as it is written and then deleted, so the local disk holds one
 * shard at a time; the index goes last, so readers never see a half-uploaded dataset.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INDEX_FILE, packImageFolder, parseS3Url, s3ClientFromEnv, s3Key } from '@rewind/image-data';

export interface PackCommandOptions {
  readonly from: string;
  readonly to: string;
  readonly shardSize: string;
  readonly seed: string;
}

class UsageError extends Error {
  override name = 'UsageError';
}

const UNITS: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30 };

/** "1GB", "256MiB", "5000000" → bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS[match[2]!.toUpperCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) * unit < 1) throw new UsageError(`--shard-size: "${text}" is not a size such as 1GB, 256MB or 5000000`);
  return Math.round(Number(match[1]) * unit);
}

export async function packCommand(options: PackCommandOptions): Promise<number> {
  const shardBytes = parseSize(options.shardSize);
  const seed = Number(options.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed: "${options.seed}" is not a whole number`);
  const progress = (done: number, total: number) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} images`);
  };
  const s3 = options.to.startsWith('s3://') ? parseS3Url(options.to) : undefined;
  if (options.to.startsWith('s3://') && !s3) throw new UsageError(`--to: "${options.to}" is not s3://bucket/prefix`);
  if (!s3) {
    const index = await packImageFolder(options.from, options.to, { shardBytes, seed, onProgress: progress });
    process.stderr.write('\n');
    console.log(`wrote ${index.splits.train.length + index.splits.val.length} shards and ${INDEX_FILE} to ${options.to}`);
    return 0;
  }
  const client = s3ClientFromEnv(s3.bucket);
  const staging = await mkdtemp(join(tmpdir(), 'rewind-pack-'));
  try {
    if (!(await client.bucketExists(s3.bucket))) await client.makeBucket(s3.bucket);
    const index = await packImageFolder(options.from, staging, {
      shardBytes,
      seed,
      onProgress: progress,
      onShard: async (file) => {
        await client.fPutObject(s3.bucket, s3Key(s3.prefix, file), join(staging, file));
        await rm(join(staging, file));
      },
    });
    await client.fPutObject(s3.bucket, s3Key(s3.prefix, INDEX_FILE), join(staging, INDEX_FILE));
    process.stderr.write('\n');
    console.log(`wrote ${index.splits.train.length + index.splits.val.length} shards and ${INDEX_FILE} to ${options.to}`);
    return 0;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
