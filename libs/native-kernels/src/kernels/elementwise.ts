/**
 * The elementwise kernels that run on every activation: Add, Multiply, Sub, RealDiv (same shape, or one operand
 * broadcast over one run of axes: a bias, a scalar, a per-channel pooled value), Relu, and Step
 * (ReLU's gradient is dy * step(x)), plus Sum and Mean over one run of axes (a bias gradient, global
 * average pooling). tfjs' cpu backend maps broadcast elements through index arithmetic and transposes
 * before reducing; on Conv-2's 60x28x28x64 activations these cost more than the convolutions.
 */
import {
  Add,
  type BinaryInputs,
  type KernelConfig,
  type KernelFunc,
  Mean,
  Multiply,
  RealDiv,
  Relu,
  Step,
  type StepAttrs,
  Sub,
  Sum,
  type SumAttrs,
  type SumInputs,
  type TensorInfo,
  type UnaryInputs,
  util,
} from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { allF32, cpuKernel, f32, type KernelArgs, output } from './buffers.ts';

/** a viewed as [outer, mid, inner] with b as [outer, inner]; see the addon's binaryBroadcast. */
type Geometry = [outer: number, mid: number, inner: number];

/**
 * How `small` broadcasts against `big`, or null when it needs more than one run of broadcast axes
 * (dims where `big` is 1 don't count either way).
 */
function broadcastGeometry(big: readonly number[], small: readonly number[]): Geometry | null {
  const lead = big.length - small.length;
  if (lead < 0) return null;
  const padded = [...big.slice(0, lead).map(() => 1), ...small];
  let first = -1;
  let last = -1;
  for (let d = 0; d < big.length; d++) {
    if (padded[d] === big[d]) continue;
    if (padded[d] !== 1) return null;
    if (first < 0) first = d;
    last = d;
  }
  const size = util.sizeFromShape([...big]);
  if (first < 0) return [1, 1, size];
  if (!big.slice(first, last + 1).every((dim, i) => dim === 1 || padded[first + i] === 1)) return null;
  const outer = util.sizeFromShape(big.slice(0, first));
  const mid = util.sizeFromShape(big.slice(first, last + 1));
  return [outer, mid, size / (outer * mid)];
}

/** Add and Multiply commute, so either operand may be the broadcast one; Sub and RealDiv need it second. */
function binaryConfig(addon: NativeAddon, backendName: string, kernelName: string, op: 0 | 1 | 2 | 3): KernelConfig {
  const commutes = op === 0 || op === 1;
  const fallback = cpuKernel(kernelName);
  const kernelFunc = (args: KernelArgs<BinaryInputs, Record<string, never>>): TensorInfo => {
    const { inputs, backend } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    if (allF32(backend, a, b)) {
      const [big, small] = !commutes || util.sizeFromShape(a.shape) >= util.sizeFromShape(b.shape) ? [a, b] : [b, a];
      const geometry = util.sizeFromShape(big.shape) > 0 ? broadcastGeometry(big.shape, small.shape) : null;
      if (geometry) {
        const out = output(backend, [...big.shape]);
        addon.binaryBroadcast(op, f32(backend, big), f32(backend, small), out.values, ...geometry);
        return out.info;
      }
    }
    return fallback(args as never) as TensorInfo;
  };
  return { kernelName, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export const addConfig = (addon: NativeAddon, backendName: string) => binaryConfig(addon, backendName, Add, 0);
export const multiplyConfig = (addon: NativeAddon, backendName: string) => binaryConfig(addon, backendName, Multiply, 1);
export const subConfig = (addon: NativeAddon, backendName: string) => binaryConfig(addon, backendName, Sub, 2);
export const realDivConfig = (addon: NativeAddon, backendName: string) => binaryConfig(addon, backendName, RealDiv, 3);

function unaryConfig(addon: NativeAddon, backendName: string, kernelName: string, op: 0 | 1): KernelConfig {
  const fallback = cpuKernel(kernelName);
  const kernelFunc = (args: KernelArgs<UnaryInputs, Partial<StepAttrs>>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as TensorInfo;
    if (!allF32(backend, x)) return fallback(args as never) as TensorInfo;
    const out = output(backend, [...x.shape]);
    addon.unary(op, f32(backend, x), out.values, attrs?.alpha ?? 0);
    return out.info;
  };
  return { kernelName, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export const reluConfig = (addon: NativeAddon, backendName: string) => unaryConfig(addon, backendName, Relu, 0);
export const stepConfig = (addon: NativeAddon, backendName: string) => unaryConfig(addon, backendName, Step, 1);

/** Sum, and Mean as the sum divided by the count, over one contiguous run of axes of a float32 tensor. */
function reduceConfig(addon: NativeAddon, backendName: string, kernelName: string, mean: boolean): KernelConfig {
  const fallback = cpuKernel(kernelName);
  const kernelFunc = (args: KernelArgs<SumInputs, SumAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as TensorInfo;
    const axes = util.parseAxisParam(attrs.axis, x.shape).sort((p, q) => p - q);
    const first = axes[0] ?? 0;
    const contiguous = axes.length > 0 && axes.every((axis, i) => axis === first + i);
    if (!allF32(backend, x) || !contiguous || util.sizeFromShape(x.shape) === 0) return fallback(args as never) as TensorInfo;
    const outer = util.sizeFromShape(x.shape.slice(0, first));
    const mid = util.sizeFromShape(x.shape.slice(first, first + axes.length));
    const inner = util.sizeFromShape(x.shape.slice(first + axes.length));
    const shape = x.shape.flatMap((dim, d) => (!axes.includes(d) ? [dim] : attrs.keepDims ? [1] : []));
    const out = output(backend, shape);
    addon.reduceMiddle(f32(backend, x), out.values, outer, mid, inner, mean ? mid : 1);
    return out.info;
  };
  return { kernelName, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export const sumConfig = (addon: NativeAddon, backendName: string) => reduceConfig(addon, backendName, Sum, false);
export const meanConfig = (addon: NativeAddon, backendName: string) => reduceConfig(addon, backendName, Mean, true);
