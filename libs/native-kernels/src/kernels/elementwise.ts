/**
 * The elementwise kernels that run on every activation: Add and Multiply (same shape, or a trailing
 * vector such as a bias), Relu, and Step (ReLU's gradient is dy * step(x)), plus Sum over leading
 * axes (a bias gradient). tfjs' cpu backend maps broadcast elements through index arithmetic and
 * transposes before reducing; on Conv-2's 60x28x28x64 activations these cost more than the convolutions.
 */
import {
  Add,
  type BinaryInputs,
  type KernelConfig,
  type KernelFunc,
  Multiply,
  Relu,
  Step,
  type StepAttrs,
  Sum,
  type SumAttrs,
  type SumInputs,
  type TensorInfo,
  type UnaryInputs,
  util,
} from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { cpuKernel, f32, type KernelArgs, output } from './buffers.ts';

/** Length of `small` if it broadcasts as a vector over the trailing dims of `big`, else 0. */
function trailingBroadcast(big: TensorInfo, small: TensorInfo): number {
  const lead = big.shape.length - small.shape.length;
  if (lead < 0) return 0;
  const tail = big.shape.slice(lead);
  // small is [..., 1, n] against [..., m, n]: only its last dim may differ from 1, and it must match.
  const ok = small.shape.every((d, i) => (i === small.shape.length - 1 ? d === tail[i] : d === 1));
  const size = util.sizeFromShape(small.shape);
  return ok && size > 0 ? size : 0;
}

function binaryConfig(addon: NativeAddon, backendName: string, kernelName: string, op: 0 | 1): KernelConfig {
  const fallback = cpuKernel(kernelName);
  const kernelFunc = (args: KernelArgs<BinaryInputs, Record<string, never>>): TensorInfo => {
    const { inputs, backend } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype === 'float32' && b.dtype === 'float32') {
      // Both ops commute, so the bigger operand can always go first.
      const [big, small] = util.sizeFromShape(a.shape) >= util.sizeFromShape(b.shape) ? [a, b] : [b, a];
      const size = util.sizeFromShape(big.shape);
      const cols = util.arraysEqual(a.shape, b.shape) ? size : trailingBroadcast(big, small);
      if (cols > 0) {
        const out = output(backend, [...big.shape]);
        addon.binaryBroadcast(op, f32(backend, big), f32(backend, small), out.values, size / cols, cols);
        return out.info;
      }
    }
    return fallback(args as never) as TensorInfo;
  };
  return { kernelName, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export const addConfig = (addon: NativeAddon, backendName: string) => binaryConfig(addon, backendName, Add, 0);
export const multiplyConfig = (addon: NativeAddon, backendName: string) => binaryConfig(addon, backendName, Multiply, 1);

function unaryConfig(addon: NativeAddon, backendName: string, kernelName: string, op: 0 | 1): KernelConfig {
  const fallback = cpuKernel(kernelName);
  const kernelFunc = (args: KernelArgs<UnaryInputs, Partial<StepAttrs>>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as TensorInfo;
    if (x.dtype !== 'float32') return fallback(args as never) as TensorInfo;
    const out = output(backend, [...x.shape]);
    addon.unary(op, f32(backend, x), out.values, attrs?.alpha ?? 0);
    return out.info;
  };
  return { kernelName, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export const reluConfig = (addon: NativeAddon, backendName: string) => unaryConfig(addon, backendName, Relu, 0);
export const stepConfig = (addon: NativeAddon, backendName: string) => unaryConfig(addon, backendName, Step, 1);

export function sumConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const fallback = cpuKernel(Sum);
  const kernelFunc = (args: KernelArgs<SumInputs, SumAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as TensorInfo;
    const axes = util.parseAxisParam(attrs.axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length < x.shape.length && axes.every((axis, i) => axis === i);
    if (x.dtype !== 'float32' || !leading) return fallback(args as never) as TensorInfo;
    const kept = x.shape.slice(axes.length);
    const cols = util.sizeFromShape(kept);
    const out = output(backend, attrs.keepDims ? [...axes.map(() => 1), ...kept] : kept);
    addon.sumLeading(f32(backend, x), out.values, util.sizeFromShape(x.shape) / cols, cols);
    return out.info;
  };
  return { kernelName: Sum, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}
