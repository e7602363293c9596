/**
 * One tiled matrix-product shader for every hot op of a training step: C[b] = A[b] · B[b], where
 * each op says how to read A(row, k) and B(k, col) from its own tensors. Matmul with either
 * transpose, conv2d (implicit GEMM over NHWC windows) and both conv backprops are such products, so
 * they share the tiling, and none materialises an im2col buffer.
 *
 * A workgroup of 16×16 threads computes a 64×64 tile of C, each thread 4×4 of it, staging 16-deep
 * slices of A and B in workgroup memory. Products whose output is too small to fill the GPU but
 * whose inner dimension is long (a conv's filter gradient sums over batch × positions) split that
 * dimension: each split writes a partial tile and `SplitSumProgram` adds the splits in a fixed
 * order, so results are deterministic (no atomics).
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

export const TILE = 64;
const DEPTH = 16;
/** Row stride of the staged slices: 64 + 4 spreads the transposing stores over the banks, keeps vec4 alignment. */
const STRIDE = TILE + 4;
const THREADS = 256;

/** How an op reads its two operands. */
export interface GemmOperands {
  /** Names the loader variant in the shader cache key. */
  readonly key: string;
  /** The op's input tensors, in the order they are passed to the program. */
  readonly variableNames: readonly [string, string];
  /** Extra i32 uniforms the loaders read (`name : i32,` each), passed after the product's own. */
  readonly uniforms: readonly string[];
  /** WGSL `fn loadA(batch: i32, row: i32, k: i32) -> f32`; called only for row < M and k < K. */
  readonly loadA: string;
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

/** How many slices the inner dimension is cut into (1: none), and each slice's depth (a multiple of 16). */
export function splitPlan({ batch, m, n, k }: GemmSize): { splits: number; depth: number } {
  const tiles = batch * Math.ceil(m / TILE) * Math.ceil(n / TILE);
  const wanted = Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(k / MIN_SPLIT_DEPTH));
  if (wanted <= 1) return { splits: 1, depth: Math.ceil(k / DEPTH) * DEPTH };
  const depth = Math.ceil(k / wanted / DEPTH) * DEPTH;
  return { splits: Math.ceil(k / depth), depth };
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
  readonly workgroupSize: [number, number, number] = [16, 16, 1];

  /**
   * `outputShape` is [splits · batch · M · N] flattened when split, else the op's own output shape
   * (whose elements are C's in row-major order).
   */
  constructor(
    private readonly operands: GemmOperands,
    size: GemmSize,
    splits: number,
    outputShape: number[],
  ) {
    this.variableNames = [...operands.variableNames];
    this.uniforms = ['gemmBatch : i32,', 'gemmM : i32,', 'gemmN : i32,', 'gemmK : i32,', 'splitDepth : i32,', 'splits : i32,', ...operands.uniforms].join(' ');
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(size.n / TILE), Math.ceil(size.m / TILE), size.batch * splits];
    this.shaderKey = `rewindGemm-${operands.key}-${operands.aContiguous}-${operands.bContiguous}`;
  }

  getUserCode(): string {
    return `
      var<workgroup> tileA: array<f32, ${DEPTH * STRIDE}>;
      var<workgroup> tileB: array<f32, ${DEPTH * STRIDE}>;
      ${this.operands.loadA}
      ${this.operands.loadB}

      fn main(index: i32) {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let t = ty * 16 + tx;
        let col0 = i32(workgroupId.x) * ${TILE};
        let row0 = i32(workgroupId.y) * ${TILE};
        let z = i32(workgroupId.z);
        let batch = z / uniforms.splits;
        let split = z % uniforms.splits;
        let kStart = split * uniforms.splitDepth;
        let kEnd = min(uniforms.gemmK, kStart + uniforms.splitDepth);
        var acc: array<vec4<f32>, 4>;
        // The trip count comes from uniforms alone, so the barriers stay in uniform control flow.
        let slices = uniforms.splitDepth / ${DEPTH};
        for (var s = 0; s < slices; s++) {
          let k0 = kStart + s * ${DEPTH};
          for (var p = 0; p < ${(TILE * DEPTH) / THREADS}; p++) {
            ${stageA(this.operands.aContiguous)}
            var a = 0.0;
            if (row0 + r < uniforms.gemmM && k0 + kk < kEnd) { a = loadA(batch, row0 + r, k0 + kk); }
            tileA[kk * ${STRIDE} + r] = a;
          }
          for (var p = 0; p < ${(TILE * DEPTH) / THREADS}; p++) {
            ${stageB(this.operands.bContiguous)}
            var b = 0.0;
            if (col0 + c < uniforms.gemmN && k0 + kk < kEnd) { b = loadB(batch, k0 + kk, col0 + c); }
            tileB[kk * ${STRIDE} + c] = b;
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${DEPTH}; kk++) {
            let ai = kk * ${STRIDE} + ty * 4;
            let bi = kk * ${STRIDE} + tx * 4;
            let a = vec4<f32>(tileA[ai], tileA[ai + 1], tileA[ai + 2], tileA[ai + 3]);
            let b = vec4<f32>(tileB[bi], tileB[bi + 1], tileB[bi + 2], tileB[bi + 3]);
            acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
            acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
            acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
            acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
          }
          workgroupBarrier();
        }
        let base = (split * uniforms.gemmBatch + batch) * uniforms.gemmM;
        for (var i = 0; i < 4; i++) {
          let row = row0 + ty * 4 + i;
          if (row < uniforms.gemmM) {
            for (var j = 0; j < 4; j++) {
              let col = col0 + tx * 4 + j;
              if (col < uniforms.gemmN) { result[(base + row) * uniforms.gemmN + col] = acc[i][j]; }
            }
          }
        }
      }
    `;
  }
}

/** Thread t's element of A's slice on pass p: r in 0..63 (row), kk in 0..15 (inner). */
function stageA(contiguous: 'row' | 'k'): string {
  return contiguous === 'k'
    ? `let kk = t % ${DEPTH}; let r = t / ${DEPTH} + p * ${THREADS / DEPTH};`
    : `let r = t % ${TILE}; let kk = t / ${TILE} + p * ${THREADS / TILE};`;
}

function stageB(contiguous: 'k' | 'col'): string {
  return contiguous === 'k'
    ? `let kk = t % ${DEPTH}; let c = t / ${DEPTH} + p * ${THREADS / DEPTH};`
    : `let c = t % ${TILE}; let kk = t / ${TILE} + p * ${THREADS / TILE};`;
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
