/**
 * One tiled matrix-product shader for every hot op of a training step: C[b] = A[b] · B[b], where
 * each op says how to read A(row, k) and B(k, col) from its own tensors. Matmul with either
 * transpose, conv2d (implicit GEMM over NHWC windows) and both conv backprops are such products, so
 * they share the tiling, and none materialises an im2col buffer.
 *
 * A workgroup of 256 threads computes a tile of C (64×64 up to 128×128, or 256×16 for the few
 * output channels of a narrow conv), each thread a 4×4 to 8×8 block of it, staging 16-deep slices
 * of A and B in workgroup memory. Products whose output is too small to fill the GPU but
 * whose inner dimension is long (a conv's filter gradient sums over batch × positions) split that
 * dimension: each split writes a partial tile and `SplitSumProgram` adds the splits in a fixed
 * order, so results are deterministic (no atomics).
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

const DEPTH = 16;
const THREADS = 256;

/**
 * Rows × columns of C each thread computes, and how the 256 threads are laid out over the tile
 * (threadRows × threadCols). Larger blocks reuse each staged value more (fewer workgroup-memory
 * reads per multiply-add) but need more registers and waste more on ragged edges; fewer thread
 * columns fit products with few columns (a conv with 16 output channels).
 */
export interface ThreadBlock {
  readonly rows: 4 | 8;
  readonly cols: 4 | 8;
  readonly threadCols: 4 | 8 | 16;
}

const threadRows = (block: ThreadBlock) => THREADS / block.threadCols;
export const tileRows = (block: ThreadBlock) => threadRows(block) * block.rows;
export const tileCols = (block: ThreadBlock) => block.threadCols * block.cols;

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

/** `RxC` for a 16×16 thread layout, `RxC/T` for T thread columns. */
export const blockName = (block: ThreadBlock) => `${block.rows}x${block.cols}${block.threadCols === 16 ? '' : `/${block.threadCols}`}`;

export const tileCount = ({ batch, m, n }: GemmSize, block: ThreadBlock) => batch * Math.ceil(m / tileRows(block)) * Math.ceil(n / tileCols(block));

/** How many slices the inner dimension is cut into (1: none), and each slice's depth (a multiple of 16). */
export function splitPlan(size: GemmSize, block: ThreadBlock): { splits: number; depth: number } {
  const wanted = Math.min(Math.ceil(TARGET_WORKGROUPS / tileCount(size, block)), Math.floor(size.k / MIN_SPLIT_DEPTH));
  if (wanted <= 1) return { splits: 1, depth: Math.ceil(size.k / DEPTH) * DEPTH };
  const depth = Math.ceil(size.k / wanted / DEPTH) * DEPTH;
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
    private readonly block: ThreadBlock,
    size: GemmSize,
    splits: number,
    outputShape: number[],
  ) {
    this.variableNames = [...operands.variableNames];
    this.uniforms = ['gemmBatch : i32,', 'gemmM : i32,', 'gemmN : i32,', 'gemmK : i32,', 'splitDepth : i32,', 'splits : i32,', ...operands.uniforms].join(' ');
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.workgroupSize = [block.threadCols, threadRows(block), 1];
    this.dispatch = [Math.ceil(size.n / tileCols(block)), Math.ceil(size.m / tileRows(block)), size.batch * splits];
    this.shaderKey = `rewindGemm-${operands.key}-${operands.aContiguous}-${operands.bContiguous}-${blockName(block)}${operands.baked ? `@${operands.baked}` : ''}`;
  }

  getUserCode(): string {
    const { rows, cols } = this.block;
    const bm = tileRows(this.block);
    const bn = tileCols(this.block);
    // Row strides of the staged slices, padded by 4 to spread the transposing stores over the banks.
    // The slices are held as vec4s (strides and each thread's offsets are multiples of 4), so a
    // thread reads its 4 to 8 values of A and of B with one or two 16-byte loads each, not one load
    // per value: the inner loop is then bound by its multiply-adds, not by workgroup-memory reads.
    const strideA = bm + 4;
    const strideB = bn + 4;
    const vecsPerRow = cols / 4;
    const vecsPerCol = rows / 4;
    const aPasses = (bm * DEPTH) / THREADS;
    // Staged along k, a thread stages the same rows of A in every slice: their row data is cached.
    const rowsCached = this.operands.aRow !== undefined && this.operands.aContiguous === 'k';
    const innerCached = this.operands.aInner !== undefined && this.operands.aContiguous === 'row';
    const fmas = Array.from({ length: rows }, (_, i) =>
      Array.from(
        { length: vecsPerRow },
        (_, j) => `acc[${i * vecsPerRow + j}] = fma(vec4<f32>(a[${Math.floor(i / 4)}][${i % 4}]), b[${j}], acc[${i * vecsPerRow + j}]);`,
      ).join(' '),
    ).join('\n            ');
    return `
      var<workgroup> tileA: array<vec4<f32>, ${(DEPTH * strideA) / 4}>;
      var<workgroup> tileB: array<vec4<f32>, ${(DEPTH * strideB) / 4}>;
      ${this.operands.loadA}
      ${this.operands.aRow?.code ?? ''}
      ${this.operands.aInner?.code ?? ''}
      ${innerCached ? `var<workgroup> aInners: array<${this.operands.aInner!.type}, ${DEPTH}>;` : ''}
      ${this.operands.loadB}

      fn main(index: i32) {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let t = ty * ${this.block.threadCols} + tx;
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
        ${rowsCached ? this.cacheRows(aPasses) : ''}
        // The trip count comes from uniforms alone, so the barriers stay in uniform control flow.
        let slices = uniforms.splitDepth / ${DEPTH};
        for (var s = 0; s < slices; s++) {
          let k0 = kStart + s * ${DEPTH};
          ${
            innerCached
              ? `if (t < ${DEPTH}) { aInners[t] = aInnerOf(batch, min(k0 + t, uniforms.gemmK - 1)); }
          workgroupBarrier();`
              : ''
          }
          for (var p = 0; p < ${aPasses}; p++) {
            ${stage(this.operands.aContiguous === 'k', bm)}
            var v = 0.0;
            if (row0 + r < uniforms.gemmM && k0 + kk < kEnd) { v = ${rowsCached ? 'loadAAt(aRows[p], k0 + kk)' : innerCached ? 'loadAWith(aInners[kk], row0 + r)' : 'loadA(batch, row0 + r, k0 + kk)'}; }
            let at = kk * ${strideA} + r;
            tileA[at / 4][at % 4] = v;
          }
          for (var p = 0; p < ${(bn * DEPTH) / THREADS}; p++) {
            ${stage(this.operands.bContiguous === 'k', bn)}
            var v = 0.0;
            if (col0 + r < uniforms.gemmN && k0 + kk < kEnd) { v = loadB(batch, k0 + kk, col0 + r); }
            let bt = kk * ${strideB} + r;
            tileB[bt / 4][bt % 4] = v;
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${DEPTH}; kk++) {
            let ai = (kk * ${strideA} + ty * ${rows}) / 4;
            for (var i = 0; i < ${vecsPerCol}; i++) { a[i] = tileA[ai + i]; }
            let bi = (kk * ${strideB} + tx * ${cols}) / 4;
            for (var j = 0; j < ${vecsPerRow}; j++) { b[j] = tileB[bi + j]; }
            ${fmas}
          }
          workgroupBarrier();
        }
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
    return `var aRows: array<${this.operands.aRow!.type}, ${passes}>;
        for (var p = 0; p < ${passes}; p++) {
          aRows[p] = aRowOf(batch, min(row0 + t / ${DEPTH} + p * ${THREADS / DEPTH}, uniforms.gemmM - 1));
        }`;
  }
}

/**
 * Thread t's element of a staged slice on pass p: r indexes the tile's rows of A (or columns of B),
 * kk the 16 inner steps. Neighbouring threads take neighbouring words of whichever index is contiguous.
 */
function stage(innerContiguous: boolean, extent: number): string {
  return innerContiguous
    ? `let kk = t % ${DEPTH}; let r = t / ${DEPTH} + p * ${THREADS / DEPTH};`
    : `let r = t % ${extent}; let kk = t / ${extent} + p * ${THREADS / extent};`;
}

/** Adds the splits of a split product in a fixed order: out[i] = Σ_s partial[s·size + i]. */
export class SplitSumProgram implements WebGPUProgram {
  readonly variableNames = ['partial'];
  readonly uniforms = 'splits : i32,';
  readonly outputShape: number[];
  shaderKey = 'rewindSplitSum';
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1];
  readonly size = true;

  constructor(outputShape: number[]) {
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const elements = outputShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(elements / THREADS), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index: i32) {
        if (index < uniforms.size) {
          var sum = 0.0;
          for (var s = 0; s < uniforms.splits; s++) { sum += partial[s * uniforms.size + index]; }
          result[index] = sum;
        }
      }
    `;
  }
}
