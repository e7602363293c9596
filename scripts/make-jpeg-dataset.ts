/**
 * Writes a generated ImageFolder tree of real JPEGs (class-dependent hue and stripes, so a network can
 * learn it) and packs it into tar shards with their index, for tests, examples and benchmarks.
 *
 *   node --import tsx scripts/make-jpeg-dataset.ts --out data/imagenet-tiny [--classes 10] [--train 60] [--val 10]
 *       [--min-side 64] [--max-side 500] [--quality 90] [--shard-size 4000000] [--seed 0]
 *
 * Writes <out>/folder (train/<class>/*.JPEG, val/<class>/*.JPEG) and <out>/shards (*.tar + index.json).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateImageFolder, packImageFolder } from '@rewind/image-data';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    classes: { type: 'string', default: '10' },
    train: { type: 'string', default: '60' },
    val: { type: 'string', default: '10' },
    'min-side': { type: 'string', default: '64' },
    'max-side': { type: 'string', default: '500' },
    quality: { type: 'string', default: '90' },
    'shard-size': { type: 'string', default: '4000000' },
    seed: { type: 'string', default: '0' },
  },
});
const whole = (name: keyof typeof values, min: number): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected a whole number ≥ ${min}, got ${JSON.stringify(values[name])}`);
  return n;
};
if (!values.out) throw new Error('--out <dir> is required');
const options = {
  classes: whole('classes', 2),
  trainPerClass: whole('train', 1),
  valPerClass: whole('val', 1),
  minSide: whole('min-side', 8),
  maxSide: whole('max-side', 8),
  quality: whole('quality', 1),
  seed: whole('seed', 0),
};
if (options.maxSide < options.minSide || options.quality > 100) throw new Error('--max-side must be ≥ --min-side, and --quality at most 100');
const written = await generateImageFolder(join(values.out, 'folder'), options);
const index = await packImageFolder(join(values.out, 'folder'), join(values.out, 'shards'), { shardBytes: whole('shard-size', 1), seed: options.seed });
console.log(`wrote ${written} JPEGs to ${join(values.out, 'folder')} and ${index.splits.train.length + index.splits.val.length} shards to ${join(values.out, 'shards')}`);
