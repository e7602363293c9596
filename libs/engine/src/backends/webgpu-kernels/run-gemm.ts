/** Runs a `GemmProgram` on the webgpu backend, splitting the inner dimension when that fills the GPU better. */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { type GemmOperands, GemmProgram, type GemmSize, MAX_WORKGROUPS_PER_DIMENSION, SplitSumProgram, splitPlan, TILE } from './gemm-program.ts';

/** Whether the grid fits WebGPU's per-dimension limit; callers fall back to tfjs's kernel when not. */
export function gemmFits({ batch, m, n }: GemmSize): boolean {
  return Math.ceil(m / TILE) <= MAX_WORKGROUPS_PER_DIMENSION && Math.ceil(n / TILE) <= MAX_WORKGROUPS_PER_DIMENSION && batch <= MAX_WORKGROUPS_PER_DIMENSION;
}

export function runGemm(
  backend: WebGPUBackend,
  operands: GemmOperands,
  size: GemmSize,
  inputs: readonly [TensorInfo, TensorInfo],
  uniformValues: readonly number[],
  outputShape: number[],
): TensorInfo {
  let { splits, depth } = splitPlan(size);
  if (size.batch * splits > MAX_WORKGROUPS_PER_DIMENSION) ({ splits, depth } = { splits: 1, depth: Math.ceil(size.k / 16) * 16 });
  const uniforms = [size.batch, size.m, size.n, size.k, depth, splits, ...uniformValues].map((v) => ({ type: 'int32', data: [v] }));
  if (splits === 1) return backend.runWebGPUProgram(new GemmProgram(operands, size, 1, outputShape), [...inputs], 'float32', uniforms);

  const partialShape = [splits * size.batch * size.m * size.n];
  const partial = backend.runWebGPUProgram(new GemmProgram(operands, size, splits, partialShape), [...inputs], 'float32', uniforms);
  const out = backend.runWebGPUProgram(new SplitSumProgram(outputShape), [partial], 'float32', [{ type: 'int32', data: [splits] }]);
  backend.disposeData(partial.dataId);
  return out;
}
