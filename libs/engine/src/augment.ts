/**
 * Training-time augmentation on host batches: each image is cropped at its original size from the image
 * padded on every side, then maybe flipped horizontally. The crop and flip of the example at position i
 * of the batch at `step` are drawn from `rngFor(seed, 'augment', step)`, three draws per example, so
 * they are a pure function of (seed, step, i) and a resumed or rewound run augments exactly as an
 * uninterrupted one.
 */
import type { DatasetHparams } from '@rewind/core';
import { rngFor } from '@rewind/core';
import type { AugmentationRecipe, Dataset } from '@rewind/data';
import type { HostBatch } from './batches.ts';

export interface CropFlip {
  /** Top-left corner of the crop in the padded image, each in [0, 2 × padding]. */
  readonly top: number;
  readonly left: number;
  readonly flip: boolean;
}

/** The recipe to train `hp` with, or undefined when it asks for no augmentation. */
export function augmentationFor(hp: DatasetHparams, dataset: Dataset): AugmentationRecipe | undefined {
  if (!hp.augment) return undefined;
  if (!dataset.augmentation) throw new Error(`dataset ${dataset.name} has no augmentation recipe, so it cannot train with augment`);
  return dataset.augmentation;
}

/**
 * Writes into `target` the crop of `source` (one HWC image) padded by `padding` pixels of `fill`,
 * flipped first when asked (torchvision's order: flip, then pad and crop).
 */
export function cropFlip(
  source: Float32Array,
  target: Float32Array,
  shape: readonly [number, number, number],
  recipe: AugmentationRecipe,
  { top, left, flip }: CropFlip,
): void {
  const [h, w, c] = shape;
  const { padding, fill } = recipe;
  let out = 0;
  for (let y = 0; y < h; y++) {
    const sy = y + top - padding;
    for (let x = 0; x < w; x++) {
      const sx = x + left - padding;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) target[out++] = fill[k]!;
        continue;
      }
      const from = (sy * w + (flip ? w - 1 - sx : sx)) * c;
      for (let k = 0; k < c; k++) target[out++] = source[from + k]!;
    }
  }
}

/** The crops and flips of a batch of `count` examples at `step`. */
export function cropFlipsAt(seed: number, step: number, count: number, padding: number): CropFlip[] {
  const rng = rngFor(seed, 'augment', step);
  return Array.from({ length: count }, () => ({ top: rng.int(2 * padding + 1), left: rng.int(2 * padding + 1), flip: rng.next() < 0.5 }));
}

/** A new batch with every image augmented; labels are shared, not copied. */
export function augmentBatch(
  batch: HostBatch,
  shape: readonly [number, number, number],
  recipe: AugmentationRecipe,
  seed: number,
  step: number,
): HostBatch {
  const size = shape[0] * shape[1] * shape[2];
  const count = batch.labels.length;
  const images = new Float32Array(batch.images.length);
  cropFlipsAt(seed, step, count, recipe.padding).forEach((draw, i) => {
    const at = i * size;
    cropFlip(batch.images.subarray(at, at + size), images.subarray(at, at + size), shape, recipe, draw);
  });
  return { images, labels: batch.labels };
}
