/**
 * An image dataset named by where it lives, as a spec's `dataset.dir` names it: a folder of shards, or
 * `s3://bucket/prefix`. S3's endpoint and keys come from S3_URL, S3_ACCESS_KEY, S3_SECRET_KEY and
 * optionally S3_CA_FILE, as for the checkpoint store; they never appear in a spec.
 */
import { readFileSync } from 'node:fs';
import { DatasetError } from '@rewind/data';
import { parseS3Config, s3Client } from '@rewind/s3-store';
import type { Client } from 'minio';
import type { ImageSource } from './image-source.ts';
import { openLocalShards, readLocalIndex } from './local-shards.ts';
import { openS3Shards, parseS3Url, readS3Index, type S3Location } from './s3-shards.ts';
import type { ShardIndex, SplitName } from './shard-index.ts';

/** A client for `bucket` from the environment; a missing or bad setting is a DatasetError naming it. */
export function s3ClientFromEnv(bucket: string, env: NodeJS.ProcessEnv = process.env): Client {
  const url = env.S3_URL;
  if (!url) {
    throw new DatasetError('invalid_request', `s3://${bucket}`, 'S3 needs S3_URL (e.g. http://127.0.0.1:4568), S3_ACCESS_KEY and S3_SECRET_KEY in the environment', 'Set them as for the checkpoint store');
  }
  const caFile = env.S3_CA_FILE;
  let ca: string | undefined;
  try {
    ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
  } catch (err) {
    throw new DatasetError('invalid_request', caFile!, `S3_CA_FILE cannot be read: ${(err as NodeJS.ErrnoException).code ?? err}`, 'Point S3_CA_FILE at the PEM file of the CA that signed the S3 server');
  }
  try {
    return s3Client(parseS3Config({ url, accessKey: env.S3_ACCESS_KEY ?? '', secretKey: env.S3_SECRET_KEY ?? '', bucket, ...(ca ? { ca } : {}) }));
  } catch (err) {
    throw new DatasetError('invalid_request', `s3://${bucket}`, (err as Error).message, 'Fix S3_URL, S3_ACCESS_KEY or S3_SECRET_KEY');
  }
}

function s3Location(dir: string): S3Location | undefined {
  if (!dir.startsWith('s3://')) return undefined;
  const url = parseS3Url(dir);
  if (!url) throw new DatasetError('invalid_request', dir, 'not an S3 location', 'Write it as s3://bucket/prefix');
  return { client: s3ClientFromEnv(url.bucket), ...url };
}

export function readImageIndex(dir: string): Promise<ShardIndex> {
  const s3 = s3Location(dir);
  return s3 ? readS3Index(s3) : readLocalIndex(dir);
}

export function openImageSplit(dir: string, split: SplitName): Promise<ImageSource> {
  const s3 = s3Location(dir);
  return s3 ? openS3Shards(s3, split) : openLocalShards(dir, split);
}
