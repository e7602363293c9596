/**
 * Which examples form the batch at a step. Epoch e is `permutation(trainCount, rngFor(seed,
 * 'order', e))` cut into full batches, so the batch at any step is a pure function of (seed, step)
 * and a rewound or resumed run sees exactly the uninterrupted order.
 */
import { permutation, rngFor } from '@rewind/core';
import type { Split } from '@rewind/data';

export class DataOrder {
  private epoch = -1;
  private order: Uint32Array = new Uint32Array(0);

  constructor(
    private readonly seed: number,
    private readonly trainCount: number,
    private readonly batchSize: number,
    private readonly iterationsPerEpoch: number,
  ) {}

  /** Example indices of the batch taken at `step` (a view, valid until the next call). */
  indicesAt(step: number): Uint32Array {
    const epoch = Math.floor(step / this.iterationsPerEpoch);
    if (epoch !== this.epoch) {
      this.order = permutation(this.trainCount, rngFor(this.seed, 'order', epoch));
      this.epoch = epoch;
    }
    const start = (step - epoch * this.iterationsPerEpoch) * this.batchSize;
    return this.order.subarray(start, start + this.batchSize);
  }
}

export interface HostBatch {
  /** NHWC images of the chosen examples, in index order. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
}

export function gatherBatch(split: Split, indices: ArrayLike<number>, exampleLength: number): HostBatch {
  const images = new Float32Array(indices.length * exampleLength);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const n = indices[i]!;
    images.set(split.images.subarray(n * exampleLength, (n + 1) * exampleLength), i * exampleLength);
    labels[i] = split.labels[n]!;
  }
  return { images, labels };
}
