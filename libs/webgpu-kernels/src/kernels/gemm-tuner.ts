/**
 * Picks each product's tiling by timing the candidates on the GPU at hand, as cudnn.benchmark does,
 * but at no cost in determinism: every tiling of a product gives the same bits (gemm-program.ts),
 * so a tuned run's weights equal an untuned one's. A product runs with its sized tiling until it is
 * tuned; kernels cannot wait for the GPU, so the engine calls `tune` between steps (kernel-tuning.ts),
 * which times the products seen since, on zero-filled inputs of their shapes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type GemmVariant, variantName } from './gemm-program.ts';
import { candidateVariants, defaultVariant, gridFits, parseVariant, variantProblem } from './gemm-variants.ts';
import type { TilingsFile } from './tilings-file.ts';
import type { GemmLaunch } from './run-gemm.ts';

/** Products faster than this on their sized tiling are left as they are: too small to matter, or to time through tfjs. */
const MIN_TUNED_MS = 0.1;
/** Each timing's shorter run has enough launches to keep the GPU busy about this long. */
const SAMPLE_MS = 10;
const MIN_LAUNCHES = 4;
const MAX_LAUNCHES = 64;
/** A candidate replaces the incumbent only when this much faster: timing noise must not flip choices. */
const MIN_GAIN = 0.03;

/** What tuning one product found. */
export interface TunedProduct {
  readonly product: string;
  readonly sized: string;
  readonly sizedMs: number;
  readonly chosen: string;
  readonly chosenMs: number;
  /** Tilings timed; 1 when the product was too small to tune. */
  readonly timed: number;
}

/** What tuning needs of the device. */
export interface TuningGpu {
  /** Waits until the GPU has finished all queued work. */
  idle(): Promise<void>;
  /** The most tilings to time per product, the sized one included. */
  readonly tilingsPerProduct: number;
  /** `run`'s result, or the GPU error it caused (a tiling the driver cannot compile) instead of failing the backend. */
  attempt<T>(run: () => Promise<T>): Promise<{ value: T } | { error: string }>;
}

/** A product as first launched: enough to launch it again on inputs of the same shapes. */
export interface SeenProduct {
  readonly product: GemmLaunch;
  readonly inputs: ReadonlyArray<{ readonly shape: number[]; readonly dtype: tf.DataType }>;
}

class GemmTuner {
  private readonly seen = new Map<string, SeenProduct>();
  /** Tuned products' tilings; the others run with `defaultVariant`. */
  private readonly chosen = new Map<string, GemmVariant>();
  private readonly waiting = new Set<string>();
  /** Set by the backend when tuning is on. */
  private gpu: TuningGpu | undefined;
  private file: TilingsFile | undefined;
  /** Tilings by product as tuned by earlier processes on this device (names, parsed when the product shows up). */
  private remembered = new Map<string, string>();
  /** Every product tuned in this process, in order. */
  readonly tuned: TunedProduct[] = [];

  /**
   * Turns tuning on; with `file`, products tuned before on this device keep their tilings, and new
   * ones are added. Returns how many products the file knows.
   */
  enable(gpu: TuningGpu, file?: TilingsFile): number {
    this.gpu = gpu;
    this.file = file;
    this.remembered = file?.load() ?? new Map();
    return this.remembered.size;
  }

  get pending(): boolean {
    return this.waiting.size > 0;
  }

  /** Every product launched in this process, each once. */
  get products(): readonly SeenProduct[] {
    return [...this.seen.values()];
  }

  /** The tiling `product` runs with now; a product not seen before waits to be tuned. */
  variantFor(product: GemmLaunch, inputs: readonly tf.TensorInfo[]): GemmVariant {
    const key = product.key;
    const chosen = this.chosen.get(key);
    if (chosen) return chosen;
    if (!this.seen.has(key)) {
      this.seen.set(key, { product, inputs: inputs.map(({ shape, dtype }) => ({ shape: [...shape], dtype })) });
      const remembered = this.remembered.get(key);
      const v = remembered === undefined ? undefined : parseVariant(remembered, product.limits);
      if (typeof v === 'object' && gridFits(product.size, v)) {
        this.chosen.set(key, v);
        return v;
      }
      if (this.gpu) this.waiting.add(key);
    }
    return defaultVariant(product.size);
  }

  /** Times the products seen since the last call and keeps each one's fastest tiling. */
  async tune(): Promise<TunedProduct[]> {
    const gpu = this.gpu;
    if (!gpu) return [];
    const found: TunedProduct[] = [];
    for (const key of this.waiting) {
      this.waiting.delete(key);
      const { product, inputs } = this.seen.get(key)!;
      const tensors = inputs.map(({ shape, dtype }) => tf.zeros(shape, dtype));
      try {
        const { variant, result } = await tuneProduct(gpu, product, tensors);
        this.chosen.set(key, variant);
        found.push(result);
        this.tuned.push(result);
      } finally {
        tf.dispose(tensors);
      }
    }
    this.file?.save(new Map(found.map((p) => [p.product, p.chosen])));
    return found;
  }
}

/**
 * The fastest tiling of `product` on `inputs`: the sized one unless it is under MIN_TUNED_MS, else
 * the best of up to `tilingsPerProduct` (block and thread layout at the sized depth first, then the
 * winner's other depths, then the winner with prefetch, then with two buffers where the device's
 * workgroup memory holds them). A tiling that fails on the GPU counts as infinitely slow.
 */
async function tuneProduct(gpu: TuningGpu, product: GemmLaunch, inputs: readonly tf.Tensor[]): Promise<{ variant: GemmVariant; result: TunedProduct }> {
  const time = async (v: GemmVariant) => {
    const timed = await gpu.attempt(() => msPerLaunch(() => tf.backend().disposeData(product.launch(v, inputs).dataId), gpu.idle));
    return 'value' in timed ? timed.value : Number.POSITIVE_INFINITY;
  };
  const { size, limits } = product;
  const sized = defaultVariant(size);
  const sizedMs = await time(sized);
  let best = { variant: sized, ms: sizedMs };
  let timed = 1;
  if (sizedMs >= MIN_TUNED_MS && Number.isFinite(sizedMs)) {
    const consider = async (v: GemmVariant, limit = gpu.tilingsPerProduct) => {
      if (timed >= limit || variantName(v) === variantName(best.variant) || variantProblem(v, limits) !== undefined) return;
      timed++;
      const ms = await time(v);
      if (ms < best.ms * (1 - MIN_GAIN)) best = { variant: v, ms };
    };
    // Four timings are kept for the two other depths, prefetch and two buffers, but at least one other block or layout is tried.
    const layoutLimit = Math.max(2, gpu.tilingsPerProduct - 4);
    for (const v of candidateVariants(size, limits, sized.depth)) await consider(v, layoutLimit);
    const winner = best.variant;
    const sameButDepth = (v: GemmVariant) => variantName({ ...v, depth: winner.depth }) === variantName(winner);
    for (const depth of [8, 16, 32] as const) {
      const other = candidateVariants(size, limits, depth).find(sameButDepth);
      if (other) await consider(other);
    }
    await consider({ ...best.variant, prefetch: true });
    await consider({ ...best.variant, doubleBuffered: true });
  }
  const result = { product: product.key, sized: variantName(sized), sizedMs, chosen: variantName(best.variant), chosenMs: best.ms, timed };
  return { variant: best.variant, result };
}

/** The tuner of Rewind's webgpu products (one per process, as tfjs's kernel registry is). */
export const gemmTuner = new GemmTuner();

/**
 * Ms per launch of `launch`: the wall time of 2L launches minus that of L, over L, best of two.
 * Waiting for the GPU costs time of its own in dawn.node: on the H100, one launch and a wait took
 * 7–12 ms for products that run in 1.6 ms in a replayed step, so the waits are cancelled out. L is
 * at least MIN_LAUNCHES, and enough for about SAMPLE_MS.
 */
async function msPerLaunch(launch: () => void, idle: () => Promise<void>): Promise<number> {
  const wall = async (launches: number) => {
    await idle();
    const start = performance.now();
    for (let i = 0; i < launches; i++) launch();
    await idle();
    return performance.now() - start;
  };
  const perLaunch = async (launches: number) => {
    const short = await wall(launches);
    const long = await wall(2 * launches);
    // A slow wait in the short run can swallow the difference; the long run alone then bounds it.
    const difference = (long - short) / launches;
    return difference > 0 ? difference : long / (2 * launches);
  };
  // The first launch compiles the shader; the second, with its wait, overestimates a launch, which only errs towards fewer.
  await wall(1);
  const estimate = await wall(1);
  const launches = Math.min(MAX_LAUNCHES, Math.max(MIN_LAUNCHES, Math.ceil(SAMPLE_MS / estimate)));
  return Math.min(await perLaunch(launches), await perLaunch(launches));
}

/** One log line: how many products were tuned, and each one whose tiling changed, with its time before and after. */
export function describeTuning(found: readonly TunedProduct[], ms: number): string {
  const timed = found.filter((p) => p.timed > 1);
  const changed = timed.filter((p) => p.chosen !== p.sized);
  const fmt = (x: number) => (x >= 1 ? x.toFixed(2) : x.toFixed(3));
  const details = changed.map((p) => `${p.product}: ${p.sized} ${fmt(p.sizedMs)} ms → ${p.chosen} ${fmt(p.chosenMs)} ms`);
  return (
    `rewind: webgpu tilings tuned for ${timed.length} of ${found.length} products in ${(ms / 1000).toFixed(1)} s, ` +
    `${timed.reduce((n, p) => n + p.timed, 0)} tilings timed (the others are under ${MIN_TUNED_MS} ms or have no other tiling); ` +
    `${changed.length} changed${details.length ? `: ${details.join('; ')}` : ''}`
  );
}
