/** BatchMatMul (either operand transposed, batch broadcast from 1) as one tiled product. */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { type BatchMatMulAttrs, type BatchMatMulInputs, broadcast_util, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import type { GemmOperands } from './gemm-program.ts';
import { gemmFits, runGemm } from './run-gemm.ts';

const operands = (transposeA: boolean, transposeB: boolean): GemmOperands => ({
  key: `matmul-${transposeA}-${transposeB}`,
  variableNames: ['A', 'B'],
  uniforms: ['batchA : i32,', 'batchB : i32,'],
  // A is [batchA, M, K] ([batchA, K, M] transposed); B is [batchB, K, N] ([batchB, N, K] transposed).
  loadA: `fn loadA(batch: i32, row: i32, k: i32) -> f32 {
    let offset = select(batch, 0, uniforms.batchA == 1) * uniforms.gemmM * uniforms.gemmK;
    return A[offset + ${transposeA ? 'k * uniforms.gemmM + row' : 'row * uniforms.gemmK + k'}];
  }`,
  loadB: `fn loadB(batch: i32, k: i32, col: i32) -> f32 {
    let offset = select(batch, 0, uniforms.batchB == 1) * uniforms.gemmK * uniforms.gemmN;
    return B[offset + ${transposeB ? 'col * uniforms.gemmK + k' : 'k * uniforms.gemmN + col'}];
  }`,
  aContiguous: transposeA ? 'row' : 'k',
  bContiguous: transposeB ? 'k' : 'col',
});

export function matmulKernel(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as { inputs: BatchMatMulInputs; backend: WebGPUBackend; attrs: BatchMatMulAttrs };
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const { transposeA, transposeB } = attrs;
    const [ra, rb] = [a.shape.length, b.shape.length];
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    const batchA = util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = util.sizeFromShape(b.shape.slice(0, -2));
    const outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const batch = Math.max(batchA, batchB);
    const size = { batch, m, n, k };
    // Only the broadcasts a batch index can express (equal batches, or one side single).
    const simple = (batchA === batchB || batchA === 1 || batchB === 1) && util.sizeFromShape(outer) === batch;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !simple || !gemmFits(size) || k === 0) return stock(args);
    return runGemm(backend, operands(transposeA, transposeB), size, [a, b], [batchA, batchB], [...outer, m, n]);
  };
}
