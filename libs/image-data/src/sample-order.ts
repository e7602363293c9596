/**
 * The order of samples in an epoch, a pure function of (seed, epoch): a seeded permutation of the
 * shards, then of the samples within each shard. Any position maps to its sample in O(log shards) plus
 * one within-shard permutation, so a rewound or resumed run starts at step k without touching the
 * samples before it. Evaluation (`shuffle` false) reads shards and samples in index order.
 */
import { permutation, rngFor } from '@rewind/core';

export interface SampleRef {
  readonly shard: number;
  readonly index: number;
  /** The sample's identity in the split: its shard's first id plus its index (stable across epochs). */
  readonly id: number;
}

export class EpochOrder {
  readonly size: number;
  private readonly firstIds: number[];
  private epoch = -1;
  private shardOrder: Uint32Array = new Uint32Array(0);
  /** Position in the epoch at which the i-th shard of `shardOrder` starts. */
  private starts: number[] = [];
  private within = new Map<number, Uint32Array>();

  constructor(
    private readonly shardSizes: readonly number[],
    private readonly seed: number,
    private readonly shuffle: boolean,
  ) {
    this.firstIds = [];
    let total = 0;
    for (const size of shardSizes) {
      this.firstIds.push(total);
      total += size;
    }
    this.size = total;
  }

  at(epoch: number, position: number): SampleRef {
    if (!Number.isInteger(position) || position < 0 || position >= this.size) throw new RangeError(`position ${position} is outside the epoch's ${this.size} samples`);
    this.enter(epoch);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    const shard = this.shardOrder[lo]!;
    const offset = position - this.starts[lo]!;
    const index = this.shuffle ? this.samplesOf(shard)[offset]! : offset;
    return { shard, index, id: this.firstIds[shard]! + index };
  }

  private enter(epoch: number): void {
    if (epoch === this.epoch) return;
    this.epoch = epoch;
    const count = this.shardSizes.length;
    this.shardOrder = this.shuffle ? permutation(count, rngFor(this.seed, 'shard-order', epoch)) : Uint32Array.from({ length: count }, (_, i) => i);
    this.starts = [];
    let at = 0;
    for (const shard of this.shardOrder) {
      this.starts.push(at);
      at += this.shardSizes[shard]!;
    }
    this.within.clear();
  }

  private samplesOf(shard: number): Uint32Array {
    let order = this.within.get(shard);
    if (!order) {
      // An epoch walks shards one after another: two cached permutations cover a batch that spans a boundary.
      if (this.within.size >= 2) this.within.delete(this.within.keys().next().value!);
      order = permutation(this.shardSizes[shard]!, rngFor(this.seed, 'shard-samples', this.epoch, shard));
      this.within.set(shard, order);
    }
    return order;
  }
}
