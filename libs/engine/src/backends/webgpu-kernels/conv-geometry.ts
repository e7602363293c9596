/** What the three conv2d kernels share: tfjs's conv geometry, reduced to what the shaders read. */
import { backend_util } from '@tensorflow/tfjs-core';

/** NHWC input, HWIO filter, no dilation: the only layout the custom conv kernels handle. */
export interface ConvGeometry {
  readonly info: backend_util.Conv2DInfo;
  /** Uniform names, as declared by `CONV_UNIFORMS`, in the same order as `values`. */
  readonly values: readonly number[];
}

export const CONV_UNIFORMS = [
  'inH : i32,',
  'inW : i32,',
  'inC : i32,',
  'outH : i32,',
  'outW : i32,',
  'outC : i32,',
  'filterH : i32,',
  'filterW : i32,',
  'strideH : i32,',
  'strideW : i32,',
  'padTop : i32,',
  'padLeft : i32,',
] as const;

export interface ConvAttrs {
  readonly strides: [number, number] | number;
  readonly pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  readonly dataFormat?: 'NHWC' | 'NCHW';
  readonly dilations?: [number, number] | number;
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The geometry, or undefined where the custom kernels don't apply (NCHW, dilation). */
export function convGeometry(xShape: readonly number[], filterShape: readonly number[], attrs: ConvAttrs): ConvGeometry | undefined {
  const dilations = attrs.dilations ?? 1;
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC' || !(dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1)))) return undefined;
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const values = [
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
  return { info, values };
}
