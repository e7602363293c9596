/**
 * The engine's fused masked-SGD update (`RewindMaskedSgd`) on the GPU: two elementwise passes per
 * parameter (new momentum, then new parameter) instead of about seven tfjs ops, with the formula of
 * the native kernel: g = (grad + wd·p)·mask; buf = μ·buf + g; p = (p − lr·buf)·mask.
 */
import { MASKED_SGD_KERNEL, type MaskedSgdAttrs } from '@rewind/native-kernels';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

const THREADS = 256;

abstract class ElementwiseProgram implements WebGPUProgram {
  abstract readonly variableNames: string[];
  readonly uniforms = 'lr : f32, mu : f32, wd : f32,';
  readonly outputShape: number[];
  abstract shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1];
  readonly size = true;

  constructor(shape: readonly number[]) {
    this.outputShape = [...shape];
    this.dispatchLayout = { x: this.outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(this.outputShape.reduce((a, b) => a * b, 1) / THREADS), 1, 1];
  }

  abstract getUserCode(): string;
}

class MomentumProgram extends ElementwiseProgram {
  readonly variableNames: string[];
  shaderKey: string;
  constructor(
    shape: readonly number[],
    private readonly masked: boolean,
  ) {
    super(shape);
    this.variableNames = masked ? ['P', 'G', 'Buf', 'Mask'] : ['P', 'G', 'Buf'];
    this.shaderKey = `rewindSgdMomentum-${masked}`;
  }
  getUserCode(): string {
    const g = this.masked ? '(G[index] + uniforms.wd * P[index]) * Mask[index]' : 'G[index] + uniforms.wd * P[index]';
    return `fn main(index: i32) { if (index < uniforms.size) { result[index] = fma(uniforms.mu, Buf[index], ${g}); } }`;
  }
}

class ParamProgram extends ElementwiseProgram {
  readonly variableNames: string[];
  shaderKey: string;
  constructor(
    shape: readonly number[],
    private readonly masked: boolean,
  ) {
    super(shape);
    this.variableNames = masked ? ['P', 'Buf', 'Mask'] : ['P', 'Buf'];
    this.shaderKey = `rewindSgdParam-${masked}`;
  }
  getUserCode(): string {
    const next = 'P[index] - uniforms.lr * Buf[index]';
    return `fn main(index: i32) { if (index < uniforms.size) { result[index] = ${this.masked ? `(${next}) * Mask[index]` : next}; } }`;
  }
}

type Inputs = { param: TensorInfo; grad: TensorInfo; momentum: TensorInfo; mask?: TensorInfo };

const maskedSgd: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args as unknown as { inputs: Inputs; backend: WebGPUBackend; attrs: MaskedSgdAttrs };
  const { param, grad, momentum, mask } = inputs;
  const uniforms = [attrs.lr, attrs.momentum, attrs.weightDecay].map((v) => ({ type: 'float32', data: [v] }));
  const masked = mask !== undefined;
  const buf = backend.runWebGPUProgram(new MomentumProgram(param.shape, masked), masked ? [param, grad, momentum, mask] : [param, grad, momentum], 'float32', uniforms);
  const next = backend.runWebGPUProgram(new ParamProgram(param.shape, masked), masked ? [param, buf, mask] : [param, buf], 'float32', uniforms);
  return [next, buf];
};

export const maskedSgdConfig: KernelConfig = { kernelName: MASKED_SGD_KERNEL, backendName: 'webgpu', kernelFunc: maskedSgd };
