/** The in-memory shape every reader produces, whatever the file format on disk. */
import type { DatasetName } from '@rewind/core';

export interface Split {
  /** NHWC, normalised per channel, `count * h * w * c` values. */
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/**
 * How training images may be augmented: a random crop of the original size from the image padded by
 * `padding` pixels on every side, then a random horizontal flip (open_lth's CIFAR-10 transforms).
 */
export interface AugmentationRecipe {
  readonly padding: number;
  /** Per channel, the normalised value of the padding (a black pixel, as torchvision pads before normalising). */
  readonly fill: Float32Array;
}

export interface Dataset {
  readonly name: DatasetName;
  readonly inputShape: readonly [height: number, width: number, channels: number];
  readonly numClasses: number;
  readonly train: Split;
  readonly test: Split;
  /** Only datasets with a recipe can train with `augment`. */
  readonly augmentation?: AugmentationRecipe;
}

export function exampleSize(dataset: Pick<Dataset, 'inputShape'>): number {
  const [h, w, c] = dataset.inputShape;
  return h * w * c;
}

/** The first `count` examples, as views into the same memory (no copy). */
export function headOf(split: Split, count: number, exampleLength: number): Split {
  return {
    images: split.images.subarray(0, count * exampleLength),
    labels: split.labels.subarray(0, count),
    count,
  };
}
