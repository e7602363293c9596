/** MNIST and Fashion-MNIST from their four IDX files (gzipped or not). */
import { join } from 'node:path';
import type { Dataset, Split } from './dataset.ts';
import { DatasetError } from './errors.ts';
import { firstExisting, readDataFile } from './files.ts';
import { parseIdx } from './idx.ts';
import { type ChannelStats, normalizePixels } from './normalize.ts';

export type MnistVariant = 'mnist' | 'fashion_mnist';

interface VariantInfo {
  readonly defaultDir: string;
  readonly stats: ChannelStats;
  readonly hint: string;
}

const VARIANTS: Record<MnistVariant, VariantInfo> = {
  mnist: {
    defaultDir: '/usr/share/datasets/mnist',
    // The usual MNIST statistics, as open_lth uses.
    stats: { mean: [0.1307], std: [0.3081] },
    hint:
      'Put the MNIST IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and ' +
      't10k-labels-idx1-ubyte (optionally .gz) in that directory, or set the dataset dir',
  },
  fashion_mnist: {
    defaultDir: '/usr/share/datasets/fashion-mnist',
    stats: { mean: [0.286], std: [0.353] },
    hint:
      'Install it with `apt-get install dataset-fashion-mnist` (files go to /usr/share/datasets/fashion-mnist), ' +
      'or put the four Fashion-MNIST IDX files (optionally .gz) in the dataset dir',
  },
};

const IMAGE_SIZE = 28;
const NUM_CLASSES = 10;

export function defaultMnistDir(variant: MnistVariant): string {
  return VARIANTS[variant].defaultDir;
}

export async function loadMnist(variant: MnistVariant, dir: string): Promise<Dataset> {
  const info = VARIANTS[variant];
  const [train, test] = await Promise.all([
    loadSplit(dir, 'train', info),
    loadSplit(dir, 't10k', info),
  ]);
  return { name: variant, inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1], numClasses: NUM_CLASSES, train, test };
}

async function loadSplit(dir: string, prefix: 'train' | 't10k', info: VariantInfo): Promise<Split> {
  const imagesPath = await firstExisting(spellings(dir, `${prefix}-images-idx3-ubyte`), info.hint);
  const labelsPath = await firstExisting(spellings(dir, `${prefix}-labels-idx1-ubyte`), info.hint);
  const images = parseIdx(await readDataFile(imagesPath, info.hint), imagesPath, info.hint);
  const labels = parseIdx(await readDataFile(labelsPath, info.hint), labelsPath, info.hint);

  const malformed = (path: string, detail: string) => new DatasetError('malformed', path, detail, info.hint);
  const [count, h, w] = images.dims;
  if (images.dims.length !== 3 || h !== IMAGE_SIZE || w !== IMAGE_SIZE) {
    throw malformed(imagesPath, `expected images of shape Nx28x28, found ${images.dims.join('x')}`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw malformed(labelsPath, `expected ${count} labels to match ${imagesPath}, found shape ${labels.dims.join('x')}`);
  }
  const badLabel = labels.data.findIndex((label) => label >= NUM_CLASSES);
  if (badLabel >= 0) throw malformed(labelsPath, `label ${labels.data[badLabel]} at index ${badLabel} is not a class`);

  return { images: normalizePixels(images.data, info.stats), labels: labels.data.slice(), count: count! };
}

function spellings(dir: string, base: string): string[] {
  // Debian ships .gz; other mirrors ship the raw files, sometimes as "train-images.idx3-ubyte".
  const dotted = base.replace(/-(idx\d)/, '.$1');
  return [`${base}.gz`, base, `${dotted}.gz`, dotted].map((file) => join(dir, file));
}
