/**
 * Finds the `count` alive weights of smallest magnitude across many layers without sorting them.
 * A non-negative float's bit pattern orders like its value, so a radix histogram of |w|'s bits finds
 * the threshold in two linear passes; this keeps global pruning fast at ResNet-50 scale (25M weights).
 */

export interface Candidates {
  readonly weights: Float32Array;
  /** 1 = alive; pruned entries are never selected. */
  readonly keep: Uint8Array;
}

export interface Threshold {
  /** Weights whose magnitude key is below this are pruned. */
  readonly key: number;
  /** How many weights whose key equals `key` are pruned too, first by layer order then by index. */
  readonly ties: number;
}

const BIN_SHIFT = 15;
const BINS = 1 << 16;
const ABS = 0x7fffffff;

/** Magnitude key of weight i: |w| as bits, or the largest key when pruned (branch-free). */
function keyAt(bits: Uint32Array, keep: Uint8Array, i: number): number {
  return (bits[i]! & ABS) | ((keep[i]! - 1) & ABS);
}

export function selectThreshold(layers: readonly Candidates[], count: number): Threshold {
  if (count <= 0) return { key: 0, ties: 0 };
  const hist = new Uint32Array(BINS);
  for (const { weights, keep } of layers) {
    const bits = new Uint32Array(weights.buffer, weights.byteOffset, weights.length);
    for (let i = 0; i < bits.length; i++) hist[keyAt(bits, keep, i) >>> BIN_SHIFT]!++;
  }
  let bin = 0;
  let before = 0;
  while (before + hist[bin]! < count) before += hist[bin++]!;
  const need = count - before;

  const inBin = new Uint32Array(hist[bin]!);
  let n = 0;
  for (const { weights, keep } of layers) {
    const bits = new Uint32Array(weights.buffer, weights.byteOffset, weights.length);
    for (let i = 0; i < bits.length; i++) {
      const key = keyAt(bits, keep, i);
      if (key >>> BIN_SHIFT === bin) inBin[n++] = key;
    }
  }
  inBin.sort();
  const key = inBin[need - 1]!;
  let below = 0;
  while (inBin[below]! < key) below++;
  return { key, ties: need - below };
}

/** New keep-arrays with the threshold applied; ties are resolved in scan order, so results are deterministic. */
export function applyThreshold(layers: readonly Candidates[], threshold: Threshold): Uint8Array[] {
  let ties = threshold.ties;
  return layers.map(({ weights, keep }) => {
    const bits = new Uint32Array(weights.buffer, weights.byteOffset, weights.length);
    const next = keep.slice();
    for (let i = 0; i < bits.length; i++) {
      if (keep[i] === 0) continue;
      const key = bits[i]! & ABS;
      if (key < threshold.key) next[i] = 0;
      else if (key === threshold.key && ties > 0) {
        next[i] = 0;
        ties--;
      }
    }
    return next;
  });
}
