/**
 * Which tilings (`GemmVariant`) a product may run with: the one chosen by its size alone (the
 * default, and the reference for the split plan), and the candidates the tuner times on the GPU at
 * hand. All of them give the same bits (see gemm-program.ts), so the choice is about speed only.
 */
import {
  type GemmSize,
  type GemmVariant,
  MAX_WORKGROUPS_PER_DIMENSION,
  stagingBytes,
  threadCount,
  tileCols,
  tileCount,
  tileRows,
  variantName,
} from './gemm-program.ts';

/** The device limits a tiling must respect (tfjs asks the device for its adapter's). */
export interface GemmLimits {
  readonly workgroupStorageBytes: number;
  readonly threadsPerWorkgroup: number;
}

/** WebGPU's defaults: what every device offers. */
export const DEFAULT_LIMITS: GemmLimits = { workgroupStorageBytes: 16384, threadsPerWorkgroup: 256 };

export const limitsOf = (device: GPUDevice): GemmLimits => ({
  workgroupStorageBytes: device.limits.maxComputeWorkgroupStorageSize,
  threadsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
});

const SMALL: GemmVariant = { rows: 4, cols: 4, threadCols: 16, threadRows: 16, depth: 16, prefetch: false, doubleBuffered: false };
/** Enough 64×64 tiles that bigger ones still fill the GPU. */
const BIG_BLOCK_MIN_TILES = 1024;

/** Why a tiling cannot be compiled at all, or undefined when it can. */
export function variantProblem(v: GemmVariant, limits: GemmLimits): string | undefined {
  const threads = threadCount(v);
  if (threads > limits.threadsPerWorkgroup) return `${threads} threads (at most ${limits.threadsPerWorkgroup})`;
  // Each thread stages whole elements on every pass, and 16 of them fill the inner indices' cache.
  if ((tileRows(v) * v.depth) % threads || (tileCols(v) * v.depth) % threads || threads < v.depth) {
    return `a ${tileRows(v)}×${tileCols(v)}×${v.depth} slice does not split evenly over ${threads} threads`;
  }
  if (stagingBytes(v) > limits.workgroupStorageBytes) return `${stagingBytes(v)} bytes of workgroup memory (at most ${limits.workgroupStorageBytes})`;
  return undefined;
}

/** Whether `v`'s grid for `size` stays within WebGPU's per-dimension limit. */
export function gridFits(size: GemmSize, v: GemmVariant): boolean {
  return (
    Math.ceil(size.m / tileRows(v)) <= MAX_WORKGROUPS_PER_DIMENSION &&
    Math.ceil(size.n / tileCols(v)) <= MAX_WORKGROUPS_PER_DIMENSION &&
    size.batch <= MAX_WORKGROUPS_PER_DIMENSION
  );
}

/**
 * By size alone: few columns (≤ 32: a conv's first stages) get tall, narrow tiles so no thread
 * computes padding; otherwise big blocks where the product has tiles to spare (they reuse staged
 * values twice as much), else 4×4. The split plan is always this variant's.
 */
export function sizedVariant(size: GemmSize): GemmVariant {
  if (size.n <= 16) return { ...SMALL, threadCols: 4, threadRows: 64 };
  if (size.n <= 32) return { ...SMALL, threadCols: 8, threadRows: 32 };
  if (tileCount(size, SMALL) < BIG_BLOCK_MIN_TILES) return SMALL;
  return { ...SMALL, rows: size.m >= 128 ? 8 : 4, cols: size.n >= 128 ? 8 : 4 };
}

/** The tiling a name (as `variantName` writes it: `8x8`, `4x4/8x32`, `8x4/16x8d32pb`) stands for, or why none can. */
export function parseVariant(name: string, limits: GemmLimits): GemmVariant | string {
  const match = /^([48])x([48])(?:\/(\d+)x(\d+))?(?:d(8|16|32))?(p)?(b)?$/.exec(name);
  if (!match) return 'not RxC[/TCxTR][dD][p][b]: R and C each 4 or 8, TC×TR threads, D 8, 16 or 32, p to prefetch, b for two buffers (e.g. 8x4/16x8d32pb)';
  const v: GemmVariant = {
    rows: Number(match[1]) as 4 | 8,
    cols: Number(match[2]) as 4 | 8,
    threadCols: Number(match[3] ?? 16),
    threadRows: Number(match[4] ?? 16),
    depth: Number(match[5] ?? 16) as 8 | 16 | 32,
    prefetch: match[6] === 'p',
    doubleBuffered: match[7] === 'b',
  };
  const problem = variantProblem(v, limits);
  return problem ? `cannot compile on this device: ${problem}` : v;
}

/** `REWIND_WEBGPU_GEMM_VARIANT` fixes the tiling of every product whose grid it fits, for tuning by hand; it turns the tuner off. */
export function fixedVariant(limits: GemmLimits, value: string | undefined): GemmVariant | undefined {
  if (!value) return undefined;
  const v = parseVariant(value, limits);
  if (typeof v === 'string') throw new Error(`REWIND_WEBGPU_GEMM_VARIANT='${value}' is ${v}`);
  return v;
}

/** The tiling fixed for this process, set once when the backend starts. */
let fixed: GemmVariant | undefined;

/** Fixes (or, with undefined, frees) the tiling of every product whose grid it fits; throws on a tiling this device cannot run. */
export function fixGemmVariant(limits: GemmLimits, value: string | undefined): void {
  fixed = fixedVariant(limits, value);
}

/** The tiling a product runs with when nothing was tuned: the fixed one where it fits, else the sized one. */
export function defaultVariant(size: GemmSize): GemmVariant {
  return fixed && gridFits(size, fixed) ? fixed : sizedVariant(size);
}

/** Thread layouts (threadCols × threadRows) of 256, 128 and 64 threads, wide to narrow. */
const LAYOUTS: ReadonlyArray<readonly [number, number]> = [
  [16, 16],
  [32, 8],
  [8, 32],
  [4, 64],
  [16, 8],
  [8, 16],
  [4, 32],
  [8, 8],
  [4, 16],
];
const BLOCKS: ReadonlyArray<readonly [4 | 8, 4 | 8]> = [
  [4, 4],
  [8, 4],
  [4, 8],
  [8, 8],
];

/** The smallest power of two ≥ x (and ≥ 16): a tile much wider than the product only computes padding. */
const roomFor = (x: number) => 2 ** Math.max(4, Math.ceil(Math.log2(Math.max(1, x))));

/**
 * The tilings worth timing for `size` at `depth`, with or without prefetch and double buffering: every block and thread layout
 * that compiles, fits the grid and is no larger than the product rounded up to a power of two, after the sized one.
 */
export function candidateVariants(size: GemmSize, limits: GemmLimits, depth: 8 | 16 | 32 = 16, prefetch = false, doubleBuffered = false): GemmVariant[] {
  const sized = sizedVariant(size);
  const all: GemmVariant[] = [{ ...sized, depth, prefetch, doubleBuffered }];
  for (const [threadCols, threadRows] of LAYOUTS) {
    for (const [rows, cols] of BLOCKS) all.push({ rows, cols, threadCols, threadRows, depth, prefetch, doubleBuffered });
  }
  const seen = new Set<string>();
  return all.filter((v, i) => {
    const name = variantName(v);
    if (seen.has(name) || variantProblem(v, limits) !== undefined || !gridFits(size, v)) return false;
    seen.add(name);
    // The sized tiling stays whatever its shape: it is the one to beat.
    return i === 0 || (tileRows(v) <= roomFor(size.m) && tileCols(v) <= roomFor(size.n));
  });
}
