/**
 * A small ImageFolder tree of real JPEGs for tests, examples and benchmarks: `train/<class>/<n>.JPEG` and
 * `val/<class>/<n>.JPEG`. Each class has its own hue and stripe orientation, so a network can learn it
 * from any crop; sizes, stripe phase and frequency, and pixel noise vary per image, so files vary in
 * size and content like photographs do. The same options give the same bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rngFor } from '@rewind/core';
import { jpegAddon } from './jpeg.ts';

export interface GenerateOptions {
  readonly classes: number;
  readonly trainPerClass: number;
  readonly valPerClass: number;
  /** Each side is drawn uniformly from [minSide, maxSide]; equal values give one fixed size. */
  readonly minSide: number;
  readonly maxSide: number;
  /** Fixed [width, height] for every image (the bench's ImageNet-like 500 × 375); overrides the sides. */
  readonly size?: readonly [number, number];
  readonly quality: number;
  readonly seed: number;
}

export const TEST_IMAGES: GenerateOptions = { classes: 10, trainPerClass: 60, valPerClass: 10, minSide: 64, maxSide: 500, quality: 90, seed: 0 };

/** ImageNet-style folder names: n00000000, n00000001, … */
export function className(index: number): string {
  return `n${String(index).padStart(8, '0')}`;
}

/** The RGB pixels of image `n` of class `label`. */
export function patternImage(label: number, classes: number, n: number, width: number, height: number, seed: number): Uint8Array {
  const rng = rngFor(seed, 'pattern', label, n);
  const hue = (label / classes) * 2 * Math.PI;
  const base = [0, 2, 4].map((k) => 128 + 90 * Math.cos(hue + (k * Math.PI) / 3));
  const angle = (label / classes) * Math.PI;
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  const period = Math.min(width, height) / (3 + rng.next() * 3);
  const phase = rng.next() * 2 * Math.PI;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const stripe = Math.sin(((x * dx + y * dy) / period) * 2 * Math.PI + phase);
      const noise = (rng.next() - 0.5) * 40;
      const at = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) rgb[at + c] = Math.max(0, Math.min(255, base[c]! * (0.6 + 0.4 * stripe) + noise));
    }
  }
  return rgb;
}

/** Writes the tree under `root`; returns the number of files written. */
export async function generateImageFolder(root: string, options: GenerateOptions = TEST_IMAGES): Promise<number> {
  const { encode } = jpegAddon();
  let written = 0;
  for (const [split, perClass] of [
    ['train', options.trainPerClass],
    ['val', options.valPerClass],
  ] as const) {
    for (let label = 0; label < options.classes; label++) {
      const dir = join(root, split, className(label));
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const n = split === 'train' ? i : options.trainPerClass + i;
        const sides = rngFor(options.seed, 'sides', label, n);
        const span = options.maxSide - options.minSide + 1;
        const [width, height] = options.size ?? [options.minSide + sides.int(span), options.minSide + sides.int(span)];
        const rgb = patternImage(label, options.classes, n, width, height, options.seed);
        await writeFile(join(dir, `${String(n).padStart(6, '0')}.JPEG`), encode(rgb, width, height, options.quality));
        written++;
      }
    }
  }
  return written;
}
