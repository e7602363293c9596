/** Runs a `GemmProgram` on the webgpu backend: picks the thread block, and splits the inner dimension when that fills the GPU better. */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import {
  type GemmOperands,
  GemmProgram,
  type GemmSize,
  MAX_WORKGROUPS_PER_DIMENSION,
  SplitSumProgram,
  splitPlan,
  type ThreadBlock,
  tileCols,
  tileCount,
  tileRows,
} from './gemm-program.ts';

const SMALL: ThreadBlock = { rows: 4, cols: 4, threadCols: 16 };
/** Enough 64×64 tiles that bigger ones still fill the GPU. */
const BIG_BLOCK_MIN_TILES = 1024;

/** `REWIND_WEBGPU_GEMM_BLOCK=RxC` (4x4, 8x4, 4x8, 8x8; 16×16 threads) fixes the block, for tuning on a new GPU. */
function fixedBlock(): ThreadBlock | undefined {
  const value = process.env.REWIND_WEBGPU_GEMM_BLOCK;
  if (!value) return undefined;
  const match = /^([48])x([48])$/.exec(value);
  if (!match) throw new Error(`REWIND_WEBGPU_GEMM_BLOCK must be RxC with R and C each 4 or 8 (got '${value}')`);
  return { rows: Number(match[1]) as 4 | 8, cols: Number(match[2]) as 4 | 8, threadCols: 16 };
}

/**
 * Few columns (≤ 32: a conv's first stages) get tall, narrow tiles so no thread computes padding;
 * otherwise big blocks where the product has tiles to spare (they reuse staged values twice as
 * much), else 4×4.
 */
export function chooseBlock(size: GemmSize): ThreadBlock {
  const fixed = fixedBlock();
  if (fixed) return fixed;
  if (size.n <= 16) return { rows: 4, cols: 4, threadCols: 4 };
  if (size.n <= 32) return { rows: 4, cols: 4, threadCols: 8 };
  if (tileCount(size, SMALL) < BIG_BLOCK_MIN_TILES) return SMALL;
  return { rows: size.m >= 128 ? 8 : 4, cols: size.n >= 128 ? 8 : 4, threadCols: 16 };
}

/** Whether the grid fits WebGPU's per-dimension limit; callers fall back to tfjs's kernel when not. */
export function gemmFits(size: GemmSize): boolean {
  const block = chooseBlock(size);
  return (
    Math.ceil(size.m / tileRows(block)) <= MAX_WORKGROUPS_PER_DIMENSION &&
    Math.ceil(size.n / tileCols(block)) <= MAX_WORKGROUPS_PER_DIMENSION &&
    size.batch <= MAX_WORKGROUPS_PER_DIMENSION
  );
}

export function runGemm(
  backend: WebGPUBackend,
  operands: GemmOperands,
  size: GemmSize,
  inputs: readonly [TensorInfo, TensorInfo],
  uniformValues: readonly number[],
  outputShape: number[],
): TensorInfo {
  const block = chooseBlock(size);
  let { splits, depth } = splitPlan(size, block);
  if (size.batch * splits > MAX_WORKGROUPS_PER_DIMENSION) ({ splits, depth } = { splits: 1, depth: Math.ceil(size.k / 16) * 16 });
  const uniforms = [size.batch, size.m, size.n, size.k, depth, splits, ...uniformValues].map((v) => ({ type: 'int32', data: [v] }));
  if (splits === 1) return backend.runWebGPUProgram(new GemmProgram(operands, block, size, 1, outputShape), [...inputs], 'float32', uniforms);

  const partialShape = [splits * size.batch * size.m * size.n];
  const partial = backend.runWebGPUProgram(new GemmProgram(operands, block, size, splits, partialShape), [...inputs], 'float32', uniforms);
  const out = backend.runWebGPUProgram(new SplitSumProgram(outputShape), [partial], 'float32', [{ type: 'int32', data: [splits] }]);
  backend.disposeData(partial.dataId);
  return out;
}
