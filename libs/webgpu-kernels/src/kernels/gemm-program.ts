/**
 * One tiled matrix-product shader for every hot op of a training step: C[b] = A[b] · B[b], where
 * each op says how to read A(row, k) and B(k, col) from its own tensors. Matmul with either
 * transpose, conv2d (implicit GEMM over NHWC windows) and both conv backprops are such products, so
 * they share the tiling, and none materialises an im2col buffer.
 *
 * A workgroup computes a tile of C, each thread a 4×4 to 8×8 block of it, staging slices of A and B
 * (8 to 32 deep) in workgroup memory; `GemmVariant` names the tiling, and gemm-variants.ts says
 * which tilings a product may use. Every variant computes each element of C with the same fused
 * multiply-adds in the same order (k ascending from an exact 0; padding adds exact zeros), so all
 * variants of a product give the same bits and one can be swapped for another (gemm-tuner.ts).
 * Products whose output is too small to fill the GPU but whose inner dimension is long (a conv's
 * filter gradient sums over batch × positions) split that dimension: each split writes a partial
 * tile and a column sum (column-sum.ts) adds the splits in a fixed order, so results are deterministic
 * (no atomics). The split points depend on the product alone, never on the variant.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/**
 * A tiling: rows × columns of C each thread computes, the threads' layout over the tile
 * (threadCols × threadRows), and the depth of the staged slices. Larger blocks reuse each staged
 * value more (fewer workgroup-memory reads per multiply-add) but need more registers and waste more
 * on ragged edges; few thread columns fit products with few columns (a conv with 16 output
 * channels); deeper slices mean fewer barriers but more workgroup memory. With `prefetch`, each
 * thread loads its part of the next slice into registers before multiplying the current one, so
 * the global loads' latency hides behind the multiply-adds, at the cost of those registers. With
 * `doubleBuffered`, slices are staged in two workgroup buffers in turn: a slice is stored while the
 * other buffer's may still be read, so each slice needs one barrier instead of two, at the cost of
 * twice the workgroup memory.
 */
export interface GemmVariant {
  readonly rows: 4 | 8;
  readonly cols: 4 | 8;
  readonly threadCols: number;
  readonly threadRows: number;
  readonly depth: 8 | 16 | 32;
  readonly prefetch: boolean;
  readonly doubleBuffered: boolean;
}

export const threadCount = (v: GemmVariant) => v.threadCols * v.threadRows;
export const tileRows = (v: GemmVariant) => v.threadRows * v.rows;
export const tileCols = (v: GemmVariant) => v.threadCols * v.cols;
/** Workgroup memory the staged slices take, in bytes (rows padded by 4 floats, see getUserCode). */
export const stagingBytes = (v: GemmVariant) => (v.doubleBuffered ? 2 : 1) * v.depth * (tileRows(v) + 4 + tileCols(v) + 4) * 4;

/**
 * `RxC` for 16×16 threads, 16-deep slices, no prefetch and one buffer, else with `/TCxTR` (thread layout), `dD` (depth),
 * `p` (prefetch) and `b` (double-buffered): `8x4/16x8d32pb`.
 */
export const variantName = (v: GemmVariant) =>
  `${v.rows}x${v.cols}${v.threadCols === 16 && v.threadRows === 16 ? '' : `/${v.threadCols}x${v.threadRows}`}${v.depth === 16 ? '' : `d${v.depth}`}${v.prefetch ? 'p' : ''}${v.doubleBuffered ? 'b' : ''}`;

/** How an op reads its two operands. */
export interface GemmOperands {
  /** Names the loader variant in the shader cache key. */
  readonly key: string;
  /** Constants baked into this variant's shader (a conv's geometry), appended to the key after `@`. */
  readonly baked?: string;
  /** The op's input tensors, in the order they are passed to the program. */
  readonly variableNames: readonly [string, string];
  /** Extra i32 uniforms the loaders read (`name : i32,` each), passed after the product's own. */
  readonly uniforms: readonly string[];
  /** WGSL `fn loadA(batch: i32, row: i32, k: i32) -> f32`; called only for row < M and k < K. */
  readonly loadA: string;
  /**
   * For A read along k: what a row needs (a conv's window origin), worked out once per row a thread
   * stages rather than once per value, since integer division costs far more than the multiply-adds.
   * WGSL defining `fn aRowOf(batch: i32, row: i32) -> <type>` and `fn loadAAt(at: <type>, k: i32) -> f32`,
   * with loadA(batch, row, k) = loadAAt(aRowOf(batch, row), k).
   */
  readonly aRow?: { readonly type: string; readonly code: string };
  /**
   * For A read along rows: what an inner index needs (a conv's window origin for a filter
   * gradient, whose inner index is the output position), worked out by 16 threads once per slice
   * into workgroup memory rather than by every thread for every value. WGSL defining
   * `fn aInnerOf(batch: i32, k: i32) -> <type>` and `fn loadAWith(at: <type>, row: i32) -> f32`,
   * with loadA(batch, row, k) = loadAWith(aInnerOf(batch, k), row).
   */
  readonly aInner?: { readonly type: string; readonly code: string };
  /** WGSL `fn loadB(batch: i32, k: i32, col: i32) -> f32`; called only for k < K and col < N. */
  readonly loadB: string;
  /** Which index of A is contiguous in memory, so that neighbouring threads load neighbouring words. */
  readonly aContiguous: 'row' | 'k';
  readonly bContiguous: 'k' | 'col';
}

export interface GemmSize {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** Enough workgroups to occupy a large GPU (an H100 has 132 SMs) before splitting the inner dimension. */
const TARGET_WORKGROUPS = 512;
/** A split below this many inner steps costs more in partial writes than it gains. */
const MIN_SPLIT_DEPTH = 256;
/** Split depths are multiples of every variant's slice depth, so any variant can run any split. */
const SPLIT_ALIGN = 32;

export const tileCount = ({ batch, m, n }: GemmSize, v: GemmVariant) => batch * Math.ceil(m / tileRows(v)) * Math.ceil(n / tileCols(v));

/** How a product's inner dimension is cut: `splits` slices (1: none) of `depth` inner steps each. */
export interface SplitPlan {
  readonly splits: number;
  readonly depth: number;
}

/** The split that lets `tiles` workgroups (the reference variant's) fill the GPU; the same for every variant of the product. */
export function splitPlan(size: GemmSize, tiles: number): SplitPlan {
  const wanted = Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(size.k / MIN_SPLIT_DEPTH));
  if (wanted <= 1) return { splits: 1, depth: size.k };
  const depth = Math.ceil(size.k / wanted / SPLIT_ALIGN) * SPLIT_ALIGN;
  return { splits: Math.ceil(size.k / depth), depth };
}

/** Largest grid a dimension may have (WebGPU's default limit). */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

export class GemmProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly uniforms: string;
  readonly outputShape: number[];
  shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];

  /**
   * `outputShape` is [splits · batch · M · N] flattened when split, else the op's own output shape
   * (whose elements are C's in row-major order).
   */
  constructor(
    private readonly operands: GemmOperands,
    private readonly variant: GemmVariant,
    size: GemmSize,
    splits: number,
    outputShape: number[],
  ) {
    this.variableNames = [...operands.variableNames];
    this.uniforms = ['gemmBatch : i32,', 'gemmM : i32,', 'gemmN : i32,', 'gemmK : i32,', 'splitDepth : i32,', 'splits : i32,', ...operands.uniforms].join(' ');
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.workgroupSize = [variant.threadCols, variant.threadRows, 1];
    this.dispatch = [Math.ceil(size.n / tileCols(variant)), Math.ceil(size.m / tileRows(variant)), size.batch * splits];
    this.shaderKey = `rewindGemm-${operands.key}-${operands.aContiguous}-${operands.bContiguous}-${variantName(variant)}${operands.baked ? `@${operands.baked}` : ''}`;
  }

  getUserCode(): string {
    const { rows, cols, depth, threadCols } = this.variant;
    const threads = threadCount(this.variant);
    const bm = tileRows(this.variant);
    const bn = tileCols(this.variant);
    // Row strides of the staged slices, padded by 4 to spread the transposing stores over the banks.
    // The slices are held as vec4s (strides and each thread's offsets are multiples of 4), so a
    // thread reads its 4 to 8 values of A and of B with one or two 16-byte loads each, not one load
    // per value: the inner loop is then bound by its multiply-adds, not by workgroup-memory reads.
    const strideA = bm + 4;
    const strideB = bn + 4;
    const vecsPerRow = cols / 4;
    const vecsPerCol = rows / 4;
    const aPasses = (bm * depth) / threads;
    // Staged along k, a thread stages the same rows of A in every slice: their row data is cached.
    const rowsCached = this.operands.aRow !== undefined && this.operands.aContiguous === 'k';
    const innerCached = this.operands.aInner !== undefined && this.operands.aContiguous === 'row';
    const bPasses = (bn * depth) / threads;
    const fmas = Array.from({ length: rows }, (_, i) =>
      Array.from(
        { length: vecsPerRow },
        (_, j) => `acc[${i * vecsPerRow + j}] = fma(vec4<f32>(a[${Math.floor(i / 4)}][${i % 4}]), b[${j}], acc[${i * vecsPerRow + j}]);`,
      ).join(' '),
    ).join('\n            ');
    const stageA = stage(this.operands.aContiguous === 'k', bm, depth, threads);
    const stageB = stage(this.operands.bContiguous === 'k', bn, depth, threads);
    const aValue = rowsCached ? 'loadAAt(aRows[p], kSlice + kk)' : innerCached ? 'loadAWith(aInners[kk], row0 + r)' : 'loadA(batch, row0 + r, kSlice + kk)';
    // The slice from inner index `k0` into this thread's registers (after its inner indices' window data, for a filter gradient).
    const load = (k0: string) => `{
          let kSlice = ${k0};
          ${innerCached ? `if (t < ${depth}) { aInners[t] = aInnerOf(batch, min(kSlice + t, uniforms.gemmK - 1)); }\n          workgroupBarrier();` : ''}
          for (var p = 0; p < ${aPasses}; p++) {
            ${stageA}
            var v = 0.0;
            if (row0 + r < uniforms.gemmM && kSlice + kk < kEnd) { v = ${aValue}; }
            aStaged[p] = v;
          }
          for (var p = 0; p < ${bPasses}; p++) {
            ${stageB}
            var v = 0.0;
            if (col0 + r < uniforms.gemmN && kSlice + kk < kEnd) { v = loadB(batch, kSlice + kk, col0 + r); }
            bStaged[p] = v;
          }
        }`;
    // Double-buffered, slice s is staged in buffer s % 2, which starts `buffer` floats into each tile.
    const { doubleBuffered } = this.variant;
    const bufferA = doubleBuffered ? `(s % 2) * ${depth * strideA}` : '0';
    const bufferB = doubleBuffered ? `(s % 2) * ${depth * strideB}` : '0';
    const store = `for (var p = 0; p < ${aPasses}; p++) {
            ${stageA}
            let at = ${bufferA} + kk * ${strideA} + r;
            tileA[at / 4][at % 4] = aStaged[p];
          }
          for (var p = 0; p < ${bPasses}; p++) {
            ${stageB}
            let bt = ${bufferB} + kk * ${strideB} + r;
            tileB[bt / 4][bt % 4] = bStaged[p];
          }
          workgroupBarrier();`;
    // One buffer must be read by every thread before the next slice is stored over it: a second barrier.
    // With two, the next store goes to the other buffer, whose last reads (slice s - 1) all came before
    // this slice's barrier.
    const multiply = `for (var kk = 0; kk < ${depth}; kk++) {
            let ai = (${bufferA} + kk * ${strideA} + ty * ${rows}) / 4;
            for (var i = 0; i < ${vecsPerCol}; i++) { a[i] = tileA[ai + i]; }
            let bi = (${bufferB} + kk * ${strideB} + tx * ${cols}) / 4;
            for (var j = 0; j < ${vecsPerRow}; j++) { b[j] = tileB[bi + j]; }
            ${fmas}
          }
          ${doubleBuffered ? '' : 'workgroupBarrier();'}`;
    const buffers = doubleBuffered ? 2 : 1;
    // The trip count comes from uniforms alone, so the barriers (in the loop, and under `s + 1 < slices`) stay in uniform control flow.
    const slices = this.variant.prefetch
      ? `${load('kStart')}
        for (var s = 0; s < slices; s++) {
          ${store}
          if (s + 1 < slices) ${load(`kStart + (s + 1) * ${depth}`)}
          ${multiply}
        }`
      : `for (var s = 0; s < slices; s++) {
          ${load(`kStart + s * ${depth}`)}
          ${store}
          ${multiply}
        }`;
    return `
      var<workgroup> tileA: array<vec4<f32>, ${(buffers * depth * strideA) / 4}>;
      var<workgroup> tileB: array<vec4<f32>, ${(buffers * depth * strideB) / 4}>;
      ${this.operands.loadA}
      ${this.operands.aRow?.code ?? ''}
      ${this.operands.aInner?.code ?? ''}
      ${innerCached ? `var<workgroup> aInners: array<${this.operands.aInner!.type}, ${depth}>;` : ''}
      ${this.operands.loadB}

      fn main(index: i32) {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let t = ty * ${threadCols} + tx;
        let col0 = i32(workgroupId.x) * ${bn};
        let row0 = i32(workgroupId.y) * ${bm};
        let z = i32(workgroupId.z);
        let batch = z / uniforms.splits;
        let split = z % uniforms.splits;
        let kStart = split * uniforms.splitDepth;
        let kEnd = min(uniforms.gemmK, kStart + uniforms.splitDepth);
        var acc: array<vec4<f32>, ${rows * vecsPerRow}>;
        var a: array<vec4<f32>, ${vecsPerCol}>;
        var b: array<vec4<f32>, ${vecsPerRow}>;
        var aStaged: array<f32, ${aPasses}>;
        var bStaged: array<f32, ${bPasses}>;
        ${rowsCached ? this.cacheRows(aPasses) : ''}
        let slices = (uniforms.splitDepth + ${depth - 1}) / ${depth};
        ${slices}
        let base = (split * uniforms.gemmBatch + batch) * uniforms.gemmM;
        for (var i = 0; i < ${rows}; i++) {
          let row = row0 + ty * ${rows} + i;
          if (row < uniforms.gemmM) {
            for (var j = 0; j < ${cols}; j++) {
              let col = col0 + tx * ${cols} + j;
              if (col < uniforms.gemmN) { result[(base + row) * uniforms.gemmN + col] = acc[i * ${vecsPerRow} + j / 4][j % 4]; }
            }
          }
        }
      }
    `;
  }

  /** WGSL filling `aRows[p]` with aRowOf of the row thread t stages on pass p (as `stage` lays them out along k). */
  private cacheRows(passes: number): string {
    const { depth } = this.variant;
    return `var aRows: array<${this.operands.aRow!.type}, ${passes}>;
        for (var p = 0; p < ${passes}; p++) {
          aRows[p] = aRowOf(batch, min(row0 + (p * ${threadCount(this.variant)} + t) / ${depth}, uniforms.gemmM - 1));
        }`;
  }
}

/**
 * Thread t's element of a staged slice on pass p: r indexes the tile's rows of A (or columns of B),
 * kk the inner steps; the slice's elements are numbered pass by pass, so that neighbouring threads
 * take neighbouring words of whichever index is contiguous in memory.
 */
function stage(innerContiguous: boolean, extent: number, depth: number, threads: number): string {
  const e = `p * ${threads} + t`;
  return innerContiguous ? `let kk = (${e}) % ${depth}; let r = (${e}) / ${depth};` : `let r = (${e}) % ${extent}; let kk = (${e}) / ${extent};`;
}
