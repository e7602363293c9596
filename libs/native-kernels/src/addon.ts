/**
 * Loads the compiled addon. It is optional by design: a machine without a compiler or without
 * OpenBLAS/oneDNN still runs Rewind, so a failed load is reported as a reason, not thrown.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The addon's functions; each reads and writes the given Float32Arrays in place, no copies. */
export interface NativeAddon {
  setThreads(threads: number): void;
  matmul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    aBatchStride: number,
    bBatchStride: number,
  ): void;
  denseForward(
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    relu: boolean,
  ): void;
  conv2d(x: Float32Array, filter: Float32Array, bias: Float32Array | null, out: Float32Array, ...shapeAndRelu: [...ConvShapeArgs, boolean]): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, ...shape: ConvShapeArgs): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dFilter: Float32Array, ...shape: ConvShapeArgs): void;
  maxPool(x: Float32Array, y: Float32Array, ...shape: PoolShapeArgs): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, ...shape: PoolShapeArgs): void;
  /** op 0 = add, 1 = multiply, 2 = a - b, 3 = a / b; a is [outer, mid, inner], b is [outer, inner], broadcast over mid. */
  binaryBroadcast(op: 0 | 1 | 2 | 3, a: Float32Array, b: Float32Array, out: Float32Array, outer: number, mid: number, inner: number): void;
  /** op 0 = relu, 1 = step (x > 0 ? 1 : alpha). */
  unary(op: 0 | 1, x: Float32Array, out: Float32Array, alpha: number): void;
  /** x is [outer, mid, inner]; out[o, i] = sum over mid / divisor. */
  reduceMiddle(x: Float32Array, out: Float32Array, outer: number, mid: number, inner: number, divisor: number): void;
  /** Batch norm over the last axis of x viewed as [rows, channels]; mean and variance (biased) are outputs. */
  batchNormTrain(
    x: Float32Array,
    scale: Float32Array | null,
    offset: Float32Array | null,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    rows: number,
    channels: number,
    epsilon: number,
  ): void;
  batchNormApply(
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array | null,
    offset: Float32Array | null,
    y: Float32Array,
    rows: number,
    channels: number,
    epsilon: number,
  ): void;
  batchNormGrad(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array | null,
    dx: Float32Array,
    dScale: Float32Array,
    dOffset: Float32Array,
    rows: number,
    channels: number,
    epsilon: number,
  ): void;
  maskedSgd(
    param: Float32Array,
    grad: Float32Array,
    momentumBuffer: Float32Array,
    mask: Float32Array | null,
    outParam: Float32Array,
    outMomentumBuffer: Float32Array,
    lr: number,
    momentum: number,
    weightDecay: number,
  ): void;
}

/** n h w c kh kw oc oh ow strideH strideW padTop padLeft padBottom padRight dilationH dilationW */
export type ConvShapeArgs = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
/** n h w c kh kw oh ow strideH strideW padTop padLeft */
export type PoolShapeArgs = [number, number, number, number, number, number, number, number, number, number, number, number];

export type AddonLoad = { readonly addon: NativeAddon } | { readonly error: string };

export const ADDON_PATH = fileURLToPath(new URL('../build/rewind_native.node', import.meta.url));

/** `REWIND_NATIVE_ADDON` points at another build of the addon (a debug build, or none at all). */
export function loadNativeAddon(path = process.env.REWIND_NATIVE_ADDON || ADDON_PATH): AddonLoad {
  if (!existsSync(path)) {
    return { error: `addon not built (${path} missing; run \`npm run build -w @rewind/native-kernels\`)` };
  }
  // Spinning OpenMP threads collapse throughput tenfold when another process shares the cores (two
  // trainers on a node, a sweep beside the tests); sleeping waits cost little when the cores are free.
  // libgomp reads this once, when the addon is loaded.
  process.env.OMP_WAIT_POLICY ??= 'passive';
  try {
    return { addon: createRequire(import.meta.url)(path) as NativeAddon };
  } catch (error) {
    return { error: `addon failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}
