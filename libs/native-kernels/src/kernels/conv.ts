/**
 * Conv2D (plain and fused with bias + relu) and both its backprops on oneDNN, NHWC only.
 * The filter gradient was the cpu backend's worst kernel by far (minutes per Conv-2 step).
 */
import {
  backend_util,
  Conv2D,
  type Conv2DAttrs,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type Conv2DBackpropInputInputs,
  type Conv2DInputs,
  FusedConv2D,
  type FusedConv2DAttrs,
  type FusedConv2DInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { ConvShapeArgs, NativeAddon } from '../addon.ts';
import { allF32, cpuKernel, f32, type KernelArgs, output } from './buffers.ts';

type Shape4 = [number, number, number, number];

interface ConvGeometry {
  readonly strides: number | [number, number];
  readonly pad: Conv2DAttrs['pad'];
  readonly dimRoundingMode?: Conv2DAttrs['dimRoundingMode'];
  readonly dataFormat: Conv2DAttrs['dataFormat'];
}

/** tfjs' own geometry for a convolution, so output sizes and padding always agree with the cpu kernels. */
function convInfo(inShape: readonly number[], filterShape: readonly number[], attrs: ConvGeometry, dilations: Conv2DAttrs['dilations'] = 1) {
  return backend_util.computeConv2DInfo(
    inShape as Shape4,
    filterShape as Shape4,
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

/** The addon's shape arguments, or null when oneDNN's padding arithmetic can't express tfjs' output size. */
function shapeArgs(info: backend_util.Conv2DInfo): ConvShapeArgs | null {
  const { top, left, bottom, right } = info.padInfo;
  const fitsH = Math.floor((info.inHeight + top + bottom - info.effectiveFilterHeight) / info.strideHeight) + 1 === info.outHeight;
  const fitsW = Math.floor((info.inWidth + left + right - info.effectiveFilterWidth) / info.strideWidth) + 1 === info.outWidth;
  if (!fitsH || !fitsW || info.dataFormat !== 'channelsLast') return null;
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    top,
    left,
    bottom,
    right,
    info.dilationHeight,
    info.dilationWidth,
  ];
}

export function conv2dConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const fallback = cpuKernel(Conv2D);
  const kernelFunc = (args: KernelArgs<Conv2DInputs, Conv2DAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations);
    const shape = shapeArgs(info);
    if (!shape || !allF32(backend, x, filter)) return fallback(args as never) as TensorInfo;
    const out = output(backend, info.outShape);
    addon.conv2d(f32(backend, x), f32(backend, filter), null, out.values, ...shape, false);
    return out.info;
  };
  return { kernelName: Conv2D, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** Bias and relu run as oneDNN post-ops inside the convolution, saving two passes over the output. */
export function fusedConv2dConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const fallback = cpuKernel(FusedConv2D);
  const kernelFunc = (args: KernelArgs<FusedConv2DInputs, FusedConv2DAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, filter, bias } = inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo };
    const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations);
    const shape = shapeArgs(info);
    const activationSupported = attrs.activation === undefined || attrs.activation === 'linear' || attrs.activation === 'relu';
    const biasSupported = !bias || (bias.shape.length === 1 && bias.shape[0] === info.outChannels);
    if (!shape || !activationSupported || !biasSupported || !allF32(backend, x, filter, bias)) {
      return fallback(args as never) as TensorInfo;
    }
    const out = output(backend, info.outShape);
    addon.conv2d(f32(backend, x), f32(backend, filter), bias ? f32(backend, bias) : null, out.values, ...shape, attrs.activation === 'relu');
    return out.info;
  };
  return { kernelName: FusedConv2D, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function conv2dBackpropInputConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const fallback = cpuKernel(Conv2DBackpropInput);
  const kernelFunc = (args: KernelArgs<Conv2DBackpropInputInputs, Conv2DBackpropInputAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const info = convInfo(attrs.inputShape, filter.shape, attrs);
    const shape = shapeArgs(info);
    if (!shape || !allF32(backend, dy, filter)) return fallback(args as never) as TensorInfo;
    const out = output(backend, info.inShape);
    addon.conv2dBackpropInput(f32(backend, dy), f32(backend, filter), out.values, ...shape);
    return out.info;
  };
  return { kernelName: Conv2DBackpropInput, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function conv2dBackpropFilterConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const fallback = cpuKernel(Conv2DBackpropFilter);
  const kernelFunc = (args: KernelArgs<Conv2DBackpropFilterInputs, Conv2DBackpropFilterAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const info = convInfo(x.shape, attrs.filterShape, attrs);
    const shape = shapeArgs(info);
    if (!shape || !allF32(backend, x, dy)) return fallback(args as never) as TensorInfo;
    const out = output(backend, [...attrs.filterShape]);
    addon.conv2dBackpropFilter(f32(backend, x), f32(backend, dy), out.values, ...shape);
    return out.info;
  };
  return { kernelName: Conv2DBackpropFilter, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}
