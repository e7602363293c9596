/** Runs a `GemmProgram` on the webgpu backend: the product's tiling (tuned or by size), and a split of the inner dimension where that fills the GPU better. */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { type GemmOperands, GemmProgram, type GemmSize, type GemmVariant, MAX_WORKGROUPS_PER_DIMENSION, splitPlan, tileCount } from './gemm-program.ts';
import { columnSum } from './column-sum.ts';
import { gemmTuner } from './gemm-tuner.ts';
import { type GemmLimits, gridFits, limitsOf, sizedVariant } from './gemm-variants.ts';

/** Whether the product's grid fits WebGPU's per-dimension limit; callers fall back to tfjs's kernel when not. */
export const gemmFits = (size: GemmSize): boolean => gridFits(size, sizedVariant(size));

/** One product as an op launches it; `launch` runs it with any tiling. */
export class GemmLaunch {
  constructor(
    private readonly backend: WebGPUBackend,
    readonly operands: GemmOperands,
    readonly size: GemmSize,
    private readonly uniformValues: readonly number[],
    private readonly outputShape: number[],
  ) {}

  get limits(): GemmLimits {
    return limitsOf(this.backend.device);
  }

  /** Names the product: what its shader bakes in, and its size (matmul sizes are uniforms). */
  get key(): string {
    const { operands: o, size: s } = this;
    return `${o.key}-${o.aContiguous}-${o.bContiguous}${o.baked ? `@${o.baked}` : ''} ${s.batch}x${s.m}x${s.n}x${s.k}`;
  }

  launch(variant: GemmVariant, inputs: readonly TensorInfo[]): TensorInfo {
    const { backend, operands, size, outputShape } = this;
    // The split depends on the product alone (the sized tiling's tile count), so every tiling sums in the same order.
    let { splits, depth } = splitPlan(size, tileCount(size, sizedVariant(size)));
    if (size.batch * splits > MAX_WORKGROUPS_PER_DIMENSION) ({ splits, depth } = { splits: 1, depth: size.k });
    const uniforms = [size.batch, size.m, size.n, size.k, depth, splits, ...this.uniformValues].map((v) => ({ type: 'int32', data: [v] }));
    if (splits === 1) return backend.runWebGPUProgram(new GemmProgram(operands, variant, size, 1, outputShape), [...inputs], 'float32', uniforms);

    // The splits' partial products, one row each, summed by columns.
    const elements = size.batch * size.m * size.n;
    const partial = backend.runWebGPUProgram(new GemmProgram(operands, variant, size, splits, [splits * elements]), [...inputs], 'float32', uniforms);
    const out = columnSum(backend, 'x', [partial], splits, elements, outputShape);
    backend.disposeData(partial.dataId);
    return out;
  }
}

export function runGemm(
  backend: WebGPUBackend,
  operands: GemmOperands,
  size: GemmSize,
  inputs: readonly [TensorInfo, TensorInfo],
  uniformValues: readonly number[],
  outputShape: number[],
): TensorInfo {
  const product = new GemmLaunch(backend, operands, size, uniformValues, outputShape);
  return product.launch(gemmTuner.variantFor(product, inputs), inputs);
}
