/** Shared access to the cpu backend's storage: kernels read and write its Float32Arrays directly. */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { getKernel, type KernelFunc, type NamedAttrMap, type TensorInfo, util } from '@tensorflow/tfjs-core';

export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/**
 * Whether every given tensor (absent ones pass) is stored as a Float32Array, which the addon needs.
 * The dtype alone doesn't say: the cpu backend casts int32 or bool to float32 without copying, so a
 * float32 tensor may still hold an Int32Array or Uint8Array.
 */
export function allF32(backend: MathBackendCPU, ...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => !t || backend.data.get(t.dataId).values instanceof Float32Array);
}

/** A fresh float32 output; the backend adopts the array without copying it. */
export function output(backend: MathBackendCPU, shape: number[]): { info: TensorInfo; values: Float32Array } {
  const values = new Float32Array(util.sizeFromShape(shape));
  return { info: backend.makeTensorInfo(shape, 'float32', values), values };
}

/** The stock cpu kernel, for the shapes and dtypes the native kernels don't cover. */
export function cpuKernel(kernelName: string): KernelFunc {
  const config = getKernel(kernelName, 'cpu');
  if (!config) throw new Error(`tfjs cpu backend has no '${kernelName}' kernel; import @tensorflow/tfjs-backend-cpu`);
  return config.kernelFunc;
}

export type KernelArgs<I, A = NamedAttrMap> = { inputs: I; backend: MathBackendCPU; attrs: A };
