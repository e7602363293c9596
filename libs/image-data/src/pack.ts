/**
 * Packs an ImageFolder tree into tar shards in the WebDataset layout (`000123.jpg` + `000123.cls`, the
 * class index as text) and writes `index.json` last. Samples are shuffled once, seeded, before packing:
 * an epoch permutes shards and samples within shards, so each shard must already mix the classes.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { permutation, rngFor } from '@rewind/core';
import tar from 'tar-stream';
import { type FolderSample, listImageFolder } from './image-folder.ts';
import { INDEX_FILE, INDEX_FORMAT, type ShardEntry, type ShardIndex, SPLITS, type SplitName } from './shard-index.ts';

export interface PackOptions {
  /** A shard is closed once it holds at least this many bytes (ImageNet: ~1 GB). */
  readonly shardBytes: number;
  readonly seed: number;
  /** Called after each sample is written, and once per finished shard (so the CLI can upload it). */
  readonly onProgress?: (done: number, total: number) => void;
  readonly onShard?: (file: string, entry: ShardEntry) => Promise<void>;
}

const TAR_BLOCK = 512;
const padded = (n: number) => Math.ceil(n / TAR_BLOCK) * TAR_BLOCK;

/** Packs `from` into `to` (a local folder); returns the index written there. */
export async function packImageFolder(from: string, to: string, options: PackOptions): Promise<ShardIndex> {
  const listing = await listImageFolder(from);
  await mkdir(to, { recursive: true });
  const total = listing.splits.train.length + listing.splits.val.length;
  let done = 0;
  const splits = {} as Record<SplitName, ShardEntry[]>;
  for (const split of SPLITS) {
    const samples = listing.splits[split];
    const order = permutation(samples.length, rngFor(options.seed, 'pack', split));
    splits[split] = [];
    let next = 0;
    while (next < samples.length) {
      const file = `${split}-${String(splits[split].length).padStart(6, '0')}.tar`;
      const shard = await writeShard(join(to, file), file, samples, order, next, options.shardBytes, () => options.onProgress?.(++done, total));
      next += shard.offsets.length;
      splits[split].push(shard);
      await options.onShard?.(file, shard);
    }
  }
  const index: ShardIndex = { format: INDEX_FORMAT, classes: listing.classes, splits };
  await writeFile(join(to, INDEX_FILE), JSON.stringify(index));
  return index;
}

async function writeShard(
  path: string,
  file: string,
  samples: readonly FolderSample[],
  order: Uint32Array,
  start: number,
  shardBytes: number,
  onSample: () => void,
): Promise<ShardEntry> {
  const pack = tar.pack();
  const hash = createHash('sha256');
  let bytes = 0;
  pack.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  const written = pipeline(pack, createWriteStream(path));
  const offsets: number[] = [];
  const lengths: number[] = [];
  const labels: number[] = [];
  let position = 0;
  const add = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) => pack.entry({ name, size: data.length, mtime: new Date(0) }, data, (e) => (e ? reject(e) : resolve())));
  for (let i = start; i < samples.length && position < shardBytes; i++) {
    const sample = samples[order[i]!]!;
    const key = String(i).padStart(6, '0');
    const jpeg = await readFile(sample.path);
    // Short ASCII names need no extended header: each entry is one 512-byte header, then the data padded.
    offsets.push(position + TAR_BLOCK);
    lengths.push(jpeg.length);
    labels.push(sample.label);
    await add(`${key}.jpg`, jpeg);
    const cls = Buffer.from(String(sample.label));
    await add(`${key}.cls`, cls);
    position += TAR_BLOCK + padded(jpeg.length) + TAR_BLOCK + padded(cls.length);
    onSample();
  }
  pack.finalize();
  await written;
  return { file, bytes, sha256: hash.digest('hex'), offsets, lengths, labels };
}
