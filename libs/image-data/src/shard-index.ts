/**
 * The index written next to a dataset's tar shards (`index.json`): class names, and per shard its file
 * name, size, SHA-256, and where each sample's JPEG lies in it with its label. Readers seek straight to a
 * sample from it, so an epoch's order can be any permutation and a rewound run skips without reading.
 * Pure: parsing and checks only, no I/O.
 */
import { DatasetError } from '@rewind/data';

export const INDEX_FORMAT = 'rewind-image-shards/1';
export const INDEX_FILE = 'index.json';
export const SPLITS = ['train', 'val'] as const;
export type SplitName = (typeof SPLITS)[number];

export interface ShardEntry {
  /** A plain file name in the shard folder (never a path). */
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  /** Byte offset and length of each sample's JPEG in the tar, and its class index. */
  readonly offsets: readonly number[];
  readonly lengths: readonly number[];
  readonly labels: readonly number[];
}

export interface ShardIndex {
  readonly format: typeof INDEX_FORMAT;
  readonly classes: readonly string[];
  readonly splits: Readonly<Record<SplitName, readonly ShardEntry[]>>;
}

const SHARD_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.tar$/;

function isWhole(n: unknown, min = 0): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= min;
}

/** Checks a parsed `index.json`; every problem is listed in one DatasetError. */
export function parseShardIndex(raw: unknown, where: string): ShardIndex {
  const problems: string[] = [];
  const index = raw as Partial<ShardIndex> | null;
  if (typeof index !== 'object' || index === null) problems.push('not a JSON object');
  else {
    if (index.format !== INDEX_FORMAT) problems.push(`format: expected "${INDEX_FORMAT}", got ${JSON.stringify(index.format)}`);
    const classes = index.classes;
    if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string' && c.length > 0)) {
      problems.push('classes: expected at least two class names');
    }
    const classCount = Array.isArray(classes) ? classes.length : 0;
    for (const split of SPLITS) {
      const shards = index.splits?.[split];
      if (!Array.isArray(shards)) {
        problems.push(`splits.${split}: expected a list of shards`);
        continue;
      }
      for (const [i, shard] of (shards as ShardEntry[]).entries()) {
        problems.push(...shardProblems(shard, classCount).map((p) => `splits.${split}[${i}]: ${p}`));
      }
    }
  }
  if (problems.length > 0) {
    throw new DatasetError('malformed', where, `invalid shard index: ${problems.join('; ')}`, 'Re-create it with `rewind data pack`');
  }
  return index as ShardIndex;
}

function shardProblems(shard: ShardEntry, classCount: number): string[] {
  const problems: string[] = [];
  if (typeof shard?.file !== 'string' || !SHARD_FILE.test(shard.file)) problems.push(`file: ${JSON.stringify(shard?.file)} is not a plain .tar file name`);
  if (!isWhole(shard?.bytes)) problems.push('bytes: expected a whole number');
  if (typeof shard?.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(shard.sha256)) problems.push('sha256: expected 64 hex digits');
  const { offsets, lengths, labels } = shard ?? {};
  if (!Array.isArray(offsets) || !Array.isArray(lengths) || !Array.isArray(labels)) return [...problems, 'offsets, lengths, labels: expected lists'];
  if (offsets.length !== lengths.length || offsets.length !== labels.length) problems.push('offsets, lengths and labels differ in length');
  offsets.forEach((offset, i) => {
    const length = lengths[i];
    if (!isWhole(offset) || !isWhole(length, 1) || offset + length > shard.bytes) problems.push(`sample ${i} lies outside the shard's ${shard.bytes} bytes`);
    if (!isWhole(labels[i]) || labels[i]! >= classCount) problems.push(`sample ${i}: label ${labels[i]} is not a class index`);
  });
  return problems.slice(0, 10);
}

/** Sample counts per shard, in index order. */
export function shardSizes(shards: readonly ShardEntry[]): number[] {
  return shards.map((s) => s.offsets.length);
}

/** Samples in a split, over all its shards (ImageNet's train split: 1,281,167). */
export function splitSize(index: ShardIndex, split: SplitName): number {
  return shardSizes(index.splits[split]).reduce((a, b) => a + b, 0);
}
