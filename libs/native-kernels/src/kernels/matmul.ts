/** BatchMatMul and _FusedMatMul on OpenBLAS sgemm; transposes are passed to sgemm, never materialised. */
import {
  _FusedMatMul,
  type _FusedMatMulAttrs,
  type _FusedMatMulInputs,
  BatchMatMul,
  type BatchMatMulAttrs,
  type BatchMatMulInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { allF32, cpuKernel, f32, type KernelArgs, output } from './buffers.ts';

interface MatmulGeometry {
  batch: number;
  m: number;
  n: number;
  k: number;
  aStride: number;
  bStride: number;
  outShape: number[];
}

/** Null when the shapes need general broadcasting of outer dims, which stays on the cpu kernel. */
function geometry(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatmulGeometry | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outer = batchA >= batchB ? outerA : outerB;
  if (batchA === batchB && outerA.length !== outerB.length) return null;
  return {
    batch: Math.max(batchA, batchB),
    m,
    n,
    k,
    aStride: batchA === 1 ? 0 : m * k,
    bStride: batchB === 1 ? 0 : k * n,
    outShape: [...outer, m, n],
  };
}

export function batchMatMulConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const fallback = cpuKernel(BatchMatMul);
  const kernelFunc = (args: KernelArgs<BatchMatMulInputs, BatchMatMulAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const g = allF32(backend, a, b) ? geometry(a, b, attrs.transposeA, attrs.transposeB) : null;
    if (!g) return fallback(args as never) as TensorInfo;
    const out = output(backend, g.outShape);
    addon.matmul(f32(backend, a), f32(backend, b), out.values, g.batch, g.m, g.n, g.k, attrs.transposeA, attrs.transposeB, g.aStride, g.bStride);
    return out.info;
  };
  return { kernelName: BatchMatMul, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** matmul + bias + relu in one native call: the dense layer's whole forward pass. */
export function fusedMatMulConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const fallback = cpuKernel(_FusedMatMul);
  const kernelFunc = (args: KernelArgs<_FusedMatMulInputs, _FusedMatMulAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b, bias } = inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo };
    const g = allF32(backend, a, b, bias) ? geometry(a, b, attrs.transposeA, attrs.transposeB) : null;
    if (!g) return fallback(args as never) as TensorInfo;
    const activationSupported = attrs.activation === undefined || attrs.activation === 'linear' || attrs.activation === 'relu';
    const biasSupported = !bias || (bias.shape.length === 1 && bias.shape[0] === g.n);
    if (g.batch !== 1 || !activationSupported || !biasSupported) return fallback(args as never) as TensorInfo;
    const out = output(backend, g.outShape);
    addon.denseForward(
      f32(backend, a),
      f32(backend, b),
      bias ? f32(backend, bias) : null,
      out.values,
      g.m,
      g.n,
      g.k,
      attrs.transposeA,
      attrs.transposeB,
      attrs.activation === 'relu',
    );
    return out.info;
  };
  return { kernelName: _FusedMatMul, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}
