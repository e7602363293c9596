/**
 * The engine's fused masked-SGD update (`RewindMaskedSgd`) on the GPU: two elementwise passes per
 * parameter (new momentum, then new parameter) instead of about seven tfjs ops, with the formula of
 * the native kernel: g = (grad + wd·p)·mask; buf = μ·buf + g; p = (p − lr·buf)·mask.
 */
import { MASKED_SGD_KERNEL, type MaskedSgdAttrs } from '@rewind/engine/backend-contract';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

const THREADS = 256;

/** The two passes: their inputs (Mask appended when masked) and the new value at `index`. */
const PASSES = {
  momentum: {
    inputs: ['P', 'G', 'Buf'],
    value: (masked: boolean) => `fma(uniforms.mu, Buf[index], ${masked ? '(G[index] + uniforms.wd * P[index]) * Mask[index]' : 'G[index] + uniforms.wd * P[index]'})`,
  },
  param: {
    inputs: ['P', 'Buf'],
    value: (masked: boolean) => (masked ? '(P[index] - uniforms.lr * Buf[index]) * Mask[index]' : 'P[index] - uniforms.lr * Buf[index]'),
  },
} as const;

class SgdPassProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly uniforms = 'lr : f32, mu : f32, wd : f32,';
  readonly outputShape: number[];
  shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1];
  readonly size = true;

  constructor(
    shape: readonly number[],
    private readonly pass: keyof typeof PASSES,
    private readonly masked: boolean,
  ) {
    this.variableNames = [...PASSES[pass].inputs, ...(masked ? ['Mask'] : [])];
    this.shaderKey = `rewindSgd-${pass}-${masked}`;
    this.outputShape = [...shape];
    this.dispatchLayout = { x: this.outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(this.outputShape.reduce((a, b) => a * b, 1) / THREADS), 1, 1];
  }

  getUserCode(): string {
    return `fn main(index: i32) { if (index < uniforms.size) { result[index] = ${PASSES[this.pass].value(this.masked)}; } }`;
  }
}

type Inputs = { param: TensorInfo; grad: TensorInfo; momentum: TensorInfo; mask?: TensorInfo };

const maskedSgd: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args as unknown as { inputs: Inputs; backend: WebGPUBackend; attrs: MaskedSgdAttrs };
  const { param, grad, momentum, mask } = inputs;
  const uniforms = [attrs.lr, attrs.momentum, attrs.weightDecay].map((v) => ({ type: 'float32', data: [v] }));
  const masked = mask !== undefined;
  const buf = backend.runWebGPUProgram(new SgdPassProgram(param.shape, 'momentum', masked), masked ? [param, grad, momentum, mask] : [param, grad, momentum], 'float32', uniforms);
  const next = backend.runWebGPUProgram(new SgdPassProgram(param.shape, 'param', masked), masked ? [param, buf, mask] : [param, buf], 'float32', uniforms);
  return [next, buf];
};

export const maskedSgdConfig: KernelConfig = { kernelName: MASKED_SGD_KERNEL, backendName: 'webgpu', kernelFunc: maskedSgd };
