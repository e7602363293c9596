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
const BIN_WIDTH = 1 << BIN_SHIFT;
const ABS = 0x7fffffff;

/** Magnitude key of weight i: |w| as bits, or the largest key when pruned (branch-free). */
function keyAt(bits: Uint32Array, keep: Uint8Array, i: number): number {
  return (bits[i]! & ABS) | ((keep[i]! - 1) & ABS);
}

export function selectThreshold(layers: readonly Candidates[], count: number): Threshold {
  if (count <= 0) return { key: 0, ties: 0 };
  const hist = histogram(layers);
  let bin = 0;
  let before = 0;
  while (before + hist[bin]! < count) before += hist[bin++]!;
  const need = count - before;

  // Second pass: only the keys that fall in the threshold's bin, a small set, get sorted.
  const inBin = new Uint32Array(hist[bin]!);
  const lo = bin << BIN_SHIFT;
  let n = 0;
  for (const { weights, keep } of layers) {
    const bits = new Uint32Array(weights.buffer, weights.byteOffset, weights.length);
    for (let i = 0; i < bits.length; i++) {
      const offset = ((bits[i]! & ABS) - lo) >>> 0;
      if (offset < BIN_WIDTH && keep[i] === 1) inBin[n++] = lo + offset;
    }
  }
  inBin.sort();
  const key = inBin[need - 1]!;
  let below = 0;
  while (inBin[below]! < key) below++;
  return { key, ties: need - below };
}

/**
 * Counts alive magnitudes per bin. Four interleaved histograms avoid stalls when neighbours share a bin,
 * which is common: trained weights cluster in a few exponents.
 */
function histogram(layers: readonly Candidates[]): Uint32Array {
  const h = new Uint32Array(BINS * 4);
  for (const { weights, keep } of layers) {
    const bits = new Uint32Array(weights.buffer, weights.byteOffset, weights.length);
    const n = bits.length;
    const end = n - (n % 4);
    let i = 0;
    for (; i < end; i += 4) {
      h[keyAt(bits, keep, i) >>> BIN_SHIFT]!++;
      h[BINS + (keyAt(bits, keep, i + 1) >>> BIN_SHIFT)]!++;
      h[2 * BINS + (keyAt(bits, keep, i + 2) >>> BIN_SHIFT)]!++;
      h[3 * BINS + (keyAt(bits, keep, i + 3) >>> BIN_SHIFT)]!++;
    }
    for (; i < n; i++) h[keyAt(bits, keep, i) >>> BIN_SHIFT]!++;
  }
  const hist = new Uint32Array(BINS);
  for (let b = 0; b < BINS; b++) hist[b] = h[b]! + h[BINS + b]! + h[2 * BINS + b]! + h[3 * BINS + b]!;
  return hist;
}

/** New keep-arrays with the threshold applied; ties are resolved in scan order, so results are deterministic. */
export function applyThreshold(layers: readonly Candidates[], threshold: Threshold): Uint8Array[] {
  const t = threshold.key;
  const kept = layers.map(({ weights, keep }) => {
    const bits = new Uint32Array(weights.buffer, weights.byteOffset, weights.length);
    const next = new Uint8Array(bits.length);
    // Branch-free: the sign bit of (|w| − t) is 1 exactly when |w| < t (both fit in 31 bits).
    for (let i = 0; i < bits.length; i++) next[i] = keep[i]! & (1 ^ (((bits[i]! & ABS) - t) >>> 31));
    return next;
  });
  let ties = threshold.ties;
  for (let l = 0; l < layers.length && ties > 0; l++) {
    const bits = new Uint32Array(layers[l]!.weights.buffer, layers[l]!.weights.byteOffset, layers[l]!.weights.length);
    const next = kept[l]!;
    for (let i = 0; i < bits.length && ties > 0; i++) {
      if (next[i] === 1 && (bits[i]! & ABS) === t) {
        next[i] = 0;
        ties--;
      }
    }
  }
  return kept;
}
