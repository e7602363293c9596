/**
 * Tar shards in a local folder, read sample by sample at the offsets in `index.json`. Opening checks
 * every shard against the index (present, same size), so a truncated or replaced shard fails at start
 * with its name rather than as a bad image mid-epoch.
 */
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '@rewind/data';
import type { ImageSource } from './image-source.ts';
import { INDEX_FILE, parseShardIndex, type ShardIndex, type SplitName, shardSizes } from './shard-index.ts';

const HINT = 'Re-create the shards and index together with `rewind data pack`, or copy them again';

export async function readLocalIndex(dir: string): Promise<ShardIndex> {
  const path = join(dir, INDEX_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new DatasetError('missing', path, `cannot read the shard index: ${(cause as NodeJS.ErrnoException).code ?? cause}`, HINT);
  }
  try {
    return parseShardIndex(JSON.parse(text), path);
  } catch (cause) {
    if (cause instanceof SyntaxError) throw new DatasetError('malformed', path, `shard index is not JSON: ${cause.message}`, HINT);
    throw cause;
  }
}

export async function openLocalShards(dir: string, split: SplitName): Promise<ImageSource> {
  const index = await readLocalIndex(dir);
  const shards = index.splits[split];
  const handles: FileHandle[] = [];
  try {
    for (const shard of shards) {
      const path = join(dir, shard.file);
      const handle = await open(path, 'r').catch((cause: NodeJS.ErrnoException) => {
        throw new DatasetError('missing', path, `shard listed in the index cannot be opened: ${cause.code ?? cause}`, HINT);
      });
      handles.push(handle);
      const { size } = await handle.stat();
      if (size !== shard.bytes) {
        throw new DatasetError('malformed', path, `shard has ${size} bytes but the index says ${shard.bytes} (truncated, or not the shard the index describes)`, HINT);
      }
    }
  } catch (error) {
    await Promise.all(handles.map((h) => h.close()));
    throw error;
  }
  return {
    where: dir,
    classes: index.classes,
    shardSizes: shardSizes(shards),
    maxSampleBytes: Math.max(0, ...shards.flatMap((s) => s.lengths)),
    labelOf: (shard, i) => shards[shard]!.labels[i]!,
    async read(shard, i) {
      const length = shards[shard]!.lengths[i]!;
      const bytes = new Uint8Array(length);
      const { bytesRead } = await handles[shard]!.read(bytes, 0, length, shards[shard]!.offsets[i]!);
      if (bytesRead !== length) throw new DatasetError('malformed', join(dir, shards[shard]!.file), `sample ${i} ends past the end of the shard`, HINT);
      return bytes;
    },
    describe: (shard, i) => `${join(dir, shards[shard]!.file)} sample ${i} (bytes ${shards[shard]!.offsets[i]}+${shards[shard]!.lengths[i]})`,
    async close() {
      await Promise.all(handles.map((h) => h.close()));
    },
  };
}
