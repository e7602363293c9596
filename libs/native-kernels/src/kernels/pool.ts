/** MaxPool and MaxPoolGrad (NHWC) in the addon: the cpu backend's versions walk tensors element by element in JS. */
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPool,
  type MaxPoolAttrs,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type MaxPoolGradInputs,
  type MaxPoolInputs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { NativeAddon, PoolShapeArgs } from '../addon.ts';
import { allF32, cpuKernel, f32, type KernelArgs, output } from './buffers.ts';

function poolShape(info: backend_util.Conv2DInfo): PoolShapeArgs {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

export function maxPoolConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const fallback = cpuKernel(MaxPool);
  const kernelFunc = (args: KernelArgs<MaxPoolInputs, MaxPoolAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as TensorInfo;
    if (!allF32(backend, x)) return fallback(args as never) as TensorInfo;
    const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const out = output(backend, info.outShape);
    addon.maxPool(f32(backend, x), out.values, ...poolShape(info));
    return out.info;
  };
  return { kernelName: MaxPool, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function maxPoolGradConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const fallback = cpuKernel(MaxPoolGrad);
  const kernelFunc = (args: KernelArgs<MaxPoolGradInputs, MaxPoolGradAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    if (!allF32(backend, dy, input)) return fallback(args as never) as TensorInfo;
    const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const out = output(backend, [...input.shape]);
    addon.maxPoolGrad(f32(backend, dy), f32(backend, input), out.values, ...poolShape(info));
    return out.info;
  };
  return { kernelName: MaxPoolGrad, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}
