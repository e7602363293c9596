/**
 * CIFAR-10 in its binary version: each record is 1 label byte then 3072 pixel bytes, stored
 * channel-major (1024 red, 1024 green, 1024 blue); we transpose to NHWC for tfjs.
 */
import { join } from 'node:path';
import type { Dataset, Split } from './dataset.ts';
import { DatasetError } from './errors.ts';
import { firstExisting, readDataFile } from './files.ts';
import { type ChannelStats, normalizedPixel, normalizePixels } from './normalize.ts';

const SIDE = 32;
const CHANNELS = 3;
const PIXELS = SIDE * SIDE * CHANNELS;
const RECORD = 1 + PIXELS;
const NUM_CLASSES = 10;
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_FILE = 'test_batch.bin';

// open_lth normalises CIFAR-10 with the ImageNet channel statistics; we follow it.
const STATS: ChannelStats = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
// open_lth's training transforms: RandomCrop(32, padding=4) with black padding, RandomHorizontalFlip.
const PADDING = 4;

export const CIFAR10_DEFAULT_DIR = '/usr/share/datasets/cifar10';

export const CIFAR10_HINT =
  'Download the "CIFAR-10 binary version" (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html ' +
  'and extract it there: the directory must hold data_batch_1.bin..data_batch_5.bin and test_batch.bin ' +
  '(directly or in cifar-10-batches-bin/)';

export interface CifarRecords {
  /** Raw 0..255 pixels, NHWC. */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** Decodes one CIFAR-10 binary batch file's bytes. */
export function parseCifarBatch(bytes: Uint8Array, path: string): CifarRecords {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new DatasetError(
      'malformed',
      path,
      `a CIFAR-10 batch is a whole number of ${RECORD}-byte records, this file has ${bytes.length} bytes`,
      CIFAR10_HINT,
    );
  }
  const count = bytes.length / RECORD;
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  const plane = SIDE * SIDE;
  for (let n = 0; n < count; n++) {
    const record = n * RECORD;
    const label = bytes[record]!;
    if (label >= NUM_CLASSES) {
      throw new DatasetError('malformed', path, `record ${n} has label ${label}, not a CIFAR-10 class`, CIFAR10_HINT);
    }
    labels[n] = label;
    const source = record + 1;
    const target = n * PIXELS;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < CHANNELS; c++) pixels[target + p * CHANNELS + c] = bytes[source + c * plane + p]!;
    }
  }
  return { pixels, labels, count };
}

export async function loadCifar10(dir: string): Promise<Dataset> {
  const batchDir = await locateBatches(dir);
  const trainParts = await Promise.all(TRAIN_FILES.map((file) => readBatch(join(batchDir, file))));
  const test = await readBatch(join(batchDir, TEST_FILE));
  return {
    name: 'cifar10',
    inputShape: [SIDE, SIDE, CHANNELS],
    numClasses: NUM_CLASSES,
    train: toSplit(concat(trainParts)),
    test: toSplit(test),
    augmentation: { padding: PADDING, fill: normalizedPixel(0, STATS) },
  };
}

async function locateBatches(dir: string): Promise<string> {
  const nested = join(dir, 'cifar-10-batches-bin');
  const found = await firstExisting([join(dir, TEST_FILE), join(nested, TEST_FILE)], CIFAR10_HINT);
  return found.startsWith(nested) ? nested : dir;
}

async function readBatch(path: string): Promise<CifarRecords> {
  const bytes = await readDataFile(path, CIFAR10_HINT);
  return parseCifarBatch(bytes, path);
}

function concat(parts: readonly CifarRecords[]): CifarRecords {
  const count = parts.reduce((n, part) => n + part.count, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let offset = 0;
  for (const part of parts) {
    pixels.set(part.pixels, offset * PIXELS);
    labels.set(part.labels, offset);
    offset += part.count;
  }
  return { pixels, labels, count };
}

function toSplit(records: CifarRecords): Split {
  return { images: normalizePixels(records.pixels, STATS), labels: records.labels, count: records.count };
}
