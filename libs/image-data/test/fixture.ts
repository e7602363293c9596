/** A small generated ImageFolder tree and its shards, made once per test file in a temp dir. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GenerateOptions, generateImageFolder, packImageFolder, type ShardIndex } from '../src/index.ts';

export const SMALL: GenerateOptions = { classes: 4, trainPerClass: 12, valPerClass: 3, minSide: 64, maxSide: 320, quality: 90, seed: 0 };

export interface Fixture {
  readonly dir: string;
  readonly folder: string;
  readonly shards: string;
  readonly index: ShardIndex;
}

export async function makeFixture(options: GenerateOptions = SMALL, shardBytes = 200_000): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-images-'));
  const folder = join(dir, 'folder');
  await generateImageFolder(folder, options);
  const shards = join(dir, 'shards');
  const index = await packImageFolder(folder, shards, { shardBytes, seed: 0 });
  return { dir, folder, shards, index };
}
