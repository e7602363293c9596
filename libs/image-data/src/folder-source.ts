/** An ImageFolder tree read in place, file by file: one pseudo-shard holding every image of the split. */
import { readFile } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import { DatasetError } from '@rewind/data';
import { listImageFolder } from './image-folder.ts';
import type { ImageSource } from './image-source.ts';
import type { SplitName } from './shard-index.ts';

export async function openImageFolder(root: string, split: SplitName): Promise<ImageSource> {
  const listing = await listImageFolder(root);
  const samples = listing.splits[split];
  // ImageFolder trees carry no sizes; the largest file bounds the pipeline's memory.
  const sizes = await Promise.all(samples.map(async (s) => (await stat(s.path)).size));
  return {
    where: root,
    classes: listing.classes,
    shardSizes: [samples.length],
    maxSampleBytes: Math.max(0, ...sizes),
    labelOf: (_shard, i) => samples[i]!.label,
    async read(_shard, i) {
      const path = samples[i]!.path;
      try {
        return new Uint8Array(await readFile(path));
      } catch (cause) {
        throw new DatasetError('missing', path, `image listed at start is gone: ${(cause as NodeJS.ErrnoException).code ?? cause}`, 'Keep the tree unchanged while training');
      }
    },
    describe: (_shard, i) => samples[i]!.path,
    async close() {},
  };
}
