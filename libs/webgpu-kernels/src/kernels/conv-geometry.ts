/** What the three conv2d kernels share: tfjs's conv geometry, reduced to what the shaders read. */
import { backend_util } from '@tensorflow/tfjs-core';

/** NHWC input, HWIO filter, no dilation: the only layout the custom conv kernels handle. */
export interface ConvGeometry {
  readonly info: backend_util.Conv2DInfo;
  /**
   * The geometry as WGSL constants (convInH, convStrideW…). Baked into the shader rather than passed
   * as uniforms, so the index arithmetic divides by constants, which compiles to multiplies and shifts.
   */
  readonly constants: string;
  /** Names the geometry in shader cache keys: one shader per geometry. */
  readonly key: string;
}

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
  const named: Record<string, number> = {
    convInH: info.inHeight,
    convInW: info.inWidth,
    convInC: info.inChannels,
    convOutH: info.outHeight,
    convOutW: info.outWidth,
    convOutC: info.outChannels,
    convFilterH: info.filterHeight,
    convFilterW: info.filterWidth,
    convStrideH: info.strideHeight,
    convStrideW: info.strideWidth,
    convPadTop: info.padInfo.top,
    convPadLeft: info.padInfo.left,
  };
  const constants = Object.entries(named)
    .map(([name, value]) => `const ${name}: i32 = ${value};`)
    .join('\n  ');
  return { info, constants, key: Object.values(named).join('.') };
}
