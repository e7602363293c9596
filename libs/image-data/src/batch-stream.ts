/**
 * Batches of decoded, cropped images from an ImageSource: uint8 NHWC (normalising is left to the device),
 * with labels. Training batches take RandomResizedCrop + flip in the seeded epoch order, full batches only;
 * evaluation batches take the centre crop in index order, the last one partial. Up to `prefetch` whole
 * batches are read and decoded ahead of the consumer, so memory stays within `memoryBoundBytes`
 * whatever the dataset's size.
 */
import { DatasetError } from '@rewind/data';
import pLimit from 'p-limit';
import { evalResizeFor } from './crop.ts';
import { DecodePool } from './decode-pool.ts';
import type { ImageSource } from './image-source.ts';
import { EpochOrder } from './sample-order.ts';

export type OnCorrupt = 'skip' | 'error';

export interface BatchStreamOptions {
  readonly batchSize: number;
  /** Output side in pixels (224 for ImageNet). */
  readonly size: number;
  readonly train: boolean;
  /** Seed of the crops and flips. */
  readonly augmentSeed: number;
  /** Seed of the epoch order (the spec's data_order_seed). */
  readonly orderSeed: number;
  readonly workers: number;
  /** Whole batches decoded ahead of the consumer (≥ 1). */
  readonly prefetch: number;
  readonly onCorrupt: OnCorrupt;
  /** Reads in flight at once (the S3 read-ahead within the prefetch window). */
  readonly concurrentReads?: number;
  /** Largest DCT downscale the decoder may use (8, or 1 to turn DCT scaling off). */
  readonly maxDenominator?: number;
  readonly onWarning?: (message: string) => void;
}

export interface ImageBatch {
  readonly step: number;
  /** count × size × size × 3 RGB bytes. */
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  /** Examples in the batch: batchSize, less for the last evaluation batch or when corrupt images were skipped. */
  readonly count: number;
}

export class ImageBatchStream {
  readonly stepsPerEpoch: number;
  /** Corrupt images skipped so far (onCorrupt: 'skip'). */
  skipped = 0;
  /** Samples read from the source so far: rewinding to step k reads none before it. */
  samplesRead = 0;
  /** Images decoded at DCT scale 1/1, 1/2, 1/4, 1/8 so far. */
  readonly scales = [0, 0, 0, 0];
  private readonly order: EpochOrder;
  private readonly pool: DecodePool;
  private readonly limit: ReturnType<typeof pLimit>;
  /**
   * Output buffers reused in turn by streamed batches: `prefetch` in flight plus the one the consumer
   * holds. Reusing them (rather than leaving old ones to the garbage collector) is what keeps the
   * process's memory flat on a long run.
   */
  private readonly ring: SharedArrayBuffer[];

  constructor(
    private readonly source: ImageSource,
    private readonly options: BatchStreamOptions,
  ) {
    const { batchSize, prefetch, size } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size: expected a whole number ≥ 1, got ${batchSize}`);
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new RangeError(`prefetch: expected a whole number ≥ 1, got ${prefetch}`);
    if (!Number.isInteger(size) || size < 8) throw new RangeError(`image size: expected a whole number ≥ 8, got ${size}`);
    this.order = new EpochOrder(source.shardSizes, options.orderSeed, options.train);
    const total = this.order.size;
    this.stepsPerEpoch = options.train ? Math.floor(total / batchSize) : Math.ceil(total / batchSize);
    if (this.stepsPerEpoch === 0) {
      throw new DatasetError('invalid_request', source.where, `${total} samples make no full batch of ${batchSize}`, 'Use a smaller batch size or more data');
    }
    this.pool = new DecodePool(options.workers);
    this.limit = pLimit(options.concurrentReads ?? 64);
    this.ring = Array.from({ length: prefetch + 1 }, () => new SharedArrayBuffer(batchSize * size * size * 3));
  }

  /** Bytes held by batches in flight: prefetched outputs and their JPEGs (each worker adds one decoded image). */
  get memoryBoundBytes(): number {
    const { batchSize, size, prefetch } = this.options;
    return (prefetch + 1) * batchSize * (size * size * 3 + this.source.maxSampleBytes);
  }

  /**
   * Batches from `from` up to (not including) `to`, decoded `prefetch` ahead. A batch's images are valid
   * until the next one is asked for (its buffer is then refilled); copy them to keep them longer.
   */
  async *batches(from: number, to: number): AsyncGenerator<ImageBatch> {
    const ahead: Promise<ImageBatch>[] = [];
    let next = from;
    let slot = 0;
    const fill = () => {
      while (ahead.length < this.options.prefetch && next < to) {
        const loading = this.load(next++, this.ring[slot++ % this.ring.length]);
        loading.catch(() => {}); // awaited in turn below; this only stops an early failure counting as unhandled
        ahead.push(loading);
      }
    };
    fill();
    while (ahead.length > 0) {
      const batch = await ahead.shift()!;
      fill();
      yield batch;
    }
  }

  /** The batch at `step`, alone (no prefetch), in a buffer of its own. */
  batchAt(step: number): Promise<ImageBatch> {
    return this.load(step);
  }

  /** Stops the workers and closes the source (the stream owns it). */
  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.source.close()]);
  }

  private async load(step: number, buffer?: SharedArrayBuffer): Promise<ImageBatch> {
    const { batchSize, size } = this.options;
    const epoch = Math.floor(step / this.stepsPerEpoch);
    const start = (step % this.stepsPerEpoch) * batchSize;
    const count = Math.min(batchSize, this.order.size - start);
    const refs = Array.from({ length: count }, (_, i) => this.order.at(epoch, start + i));
    const jpegs = await Promise.all(refs.map((r) => this.limit(() => this.source.read(r.shard, r.index))));
    this.samplesRead += count;
    const bytes = size * size * 3;
    const out = buffer ?? new SharedArrayBuffer(count * bytes);
    const result = await this.pool.run(
      { out, size, resize: evalResizeFor(size), train: this.options.train, seed: this.options.augmentSeed, epoch, maxDenominator: this.options.maxDenominator ?? 8 },
      refs.map((r, slot) => ({ slot, id: r.id, jpeg: jpegs[slot]! })),
    );
    result.scales.forEach((n, i) => {
      this.scales[i]! += n;
    });
    const images = new Uint8Array(out, 0, count * bytes);
    const labels = Int32Array.from(refs, (r) => this.source.labelOf(r.shard, r.index));
    if (result.failures.length === 0) return { step, images, labels, count };
    return this.withoutCorrupt(step, images, labels, refs, result.failures);
  }

  private withoutCorrupt(
    step: number,
    images: Uint8Array,
    labels: Int32Array,
    refs: readonly { shard: number; index: number }[],
    failures: readonly { slot: number; message: string }[],
  ): ImageBatch {
    const bad = new Set(failures.map((f) => f.slot));
    const first = failures[0]!;
    const where = this.source.describe(refs[first.slot]!.shard, refs[first.slot]!.index);
    if (this.options.onCorrupt === 'error') {
      throw new DatasetError('malformed', where, `corrupt JPEG: ${first.message}${failures.length > 1 ? ` (and ${failures.length - 1} more in this batch)` : ''}`, 'Replace the file, or set dataset.on_corrupt: skip to train without it');
    }
    const bytes = this.options.size * this.options.size * 3;
    const kept = labels.length - bad.size;
    const keptImages = new Uint8Array(kept * bytes);
    const keptLabels = new Int32Array(kept);
    let to = 0;
    for (let slot = 0; slot < labels.length; slot++) {
      if (bad.has(slot)) {
        this.options.onWarning?.(`skipped corrupt JPEG ${this.source.describe(refs[slot]!.shard, refs[slot]!.index)}: ${failures.find((f) => f.slot === slot)!.message}`);
        continue;
      }
      keptImages.set(images.subarray(slot * bytes, (slot + 1) * bytes), to * bytes);
      keptLabels[to++] = labels[slot]!;
    }
    this.skipped += bad.size;
    return { step, images: keptImages, labels: keptLabels, count: kept };
  }
}
