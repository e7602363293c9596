/**
 * A small, seeded, learnable dataset for tests: each class is a Gaussian blob with its own
 * position and colour; examples jitter the blob and add pixel noise. Needs no files.
 */
import { rngFor } from '@rewind/core';
import type { Dataset, Split } from './dataset.ts';

export interface SyntheticOptions {
  readonly seed: number;
  readonly trainCount: number;
  readonly testCount: number;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  /** Standard deviation of the per-pixel noise; the blob's peak is about 2. */
  readonly noise: number;
}

export const SYNTHETIC_DEFAULTS: SyntheticOptions = {
  seed: 0,
  trainCount: 512,
  testCount: 256,
  inputShape: [16, 16, 3],
  numClasses: 10,
  noise: 0.5,
};

interface ClassTemplate {
  readonly row: number;
  readonly col: number;
  readonly colour: Float32Array;
}

export function syntheticDataset(options: Partial<SyntheticOptions> = {}): Dataset {
  const opts = { ...SYNTHETIC_DEFAULTS, ...options };
  const templates = Array.from({ length: opts.numClasses }, (_, c) => templateFor(opts, c));
  return {
    name: 'synthetic',
    inputShape: [...opts.inputShape],
    numClasses: opts.numClasses,
    train: render(opts, templates, 'train', opts.trainCount),
    test: render(opts, templates, 'test', opts.testCount),
  };
}

function templateFor(opts: SyntheticOptions, label: number): ClassTemplate {
  const [h, w, channels] = opts.inputShape;
  const rng = rngFor(opts.seed, 'synthetic', 'class', label);
  const colour = new Float32Array(channels);
  for (let c = 0; c < channels; c++) colour[c] = 1 + rng.normal() * 0.5;
  return { row: rng.next() * (h - 1), col: rng.next() * (w - 1), colour };
}

function render(opts: SyntheticOptions, templates: readonly ClassTemplate[], split: string, count: number): Split {
  const [h, w, channels] = opts.inputShape;
  const sigma = Math.max(1, Math.min(h, w) / 6);
  const size = h * w * channels;
  const images = new Float32Array(count * size);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    // Cycling labels keeps every prefix (a train subset) balanced.
    const label = n % opts.numClasses;
    const template = templates[label]!;
    const rng = rngFor(opts.seed, 'synthetic', split, n);
    const row = template.row + rng.normal();
    const col = template.col + rng.normal();
    const amplitude = 2 * (1 + 0.2 * rng.normal());
    labels[n] = label;
    let i = n * size;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const blob = amplitude * Math.exp(-((y - row) ** 2 + (x - col) ** 2) / (2 * sigma * sigma));
        for (let c = 0; c < channels; c++) images[i++] = blob * template.colour[c]! + opts.noise * rng.normal();
      }
    }
  }
  return { images, labels, count };
}
