/**
 * Conv2D and its two backprops as implicit products over NHWC windows (`GemmProgram`): no im2col
 * buffer, and the filter gradient's long sum over batch × positions is split across workgroups.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { type ConvAttrs, type ConvGeometry, convGeometry } from './conv-geometry.ts';
import type { GemmOperands } from './gemm-program.ts';
import { gemmFits, runGemm } from './run-gemm.ts';

type Args = { inputs: Record<string, TensorInfo>; backend: WebGPUBackend; attrs: ConvAttrs & Record<string, unknown> };

/**
 * WGSL shared by the products that read x through the filter's window: an output position's flat
 * index as (n, oh, ow), its window's origin in x (n·inH, top row, left column), a filter tap's flat
 * index as (kh, kw, c), and the x value under that tap, 0 in the padding.
 */
const X_WINDOW = `
  fn outputPosition(i: i32) -> vec3<i32> {
    return vec3<i32>(i / (convOutW * convOutH), (i / convOutW) % convOutH, i % convOutW);
  }
  fn windowOrigin(position: vec3<i32>) -> vec3<i32> {
    return vec3<i32>(position.x * convInH, position.y * convStrideH - convPadTop, position.z * convStrideW - convPadLeft);
  }
  fn filterTap(i: i32) -> vec3<i32> {
    return vec3<i32>(i / (convInC * convFilterW), (i / convInC) % convFilterW, i % convInC);
  }
  fn windowX(origin: vec3<i32>, tap: vec3<i32>) -> f32 {
    let ih = origin.y + tap.x;
    let iw = origin.z + tap.y;
    if (ih < 0 || ih >= convInH || iw < 0 || iw >= convInW) { return 0.0; }
    return x[((origin.x + ih) * convInW + iw) * convInC + tap.z];
  }`;

/** A conv product's operands: the geometry baked in as WGSL constants ahead of its loaders, so no uniforms of its own. */
const baked = (g: ConvGeometry, operands: Omit<GemmOperands, 'baked' | 'uniforms'>): GemmOperands => ({
  ...operands,
  baked: g.key,
  uniforms: [],
  loadA: `${g.constants}
  ${operands.loadA}`,
});

/** y = x ⊛ W: rows are output positions (n, oh, ow), the inner index is (kh, kw, c), columns are output channels. */
const forward = (g: ConvGeometry): GemmOperands => baked(g, {
  key: 'conv2d',
  variableNames: ['x', 'W'],
  loadA: `${X_WINDOW}
  fn loadA(batch: i32, row: i32, k: i32) -> f32 { return loadAAt(aRowOf(batch, row), k); }`,
  aRow: {
    type: 'vec3<i32>',
    code: `fn aRowOf(batch: i32, row: i32) -> vec3<i32> { return windowOrigin(outputPosition(row)); }
  fn loadAAt(at: vec3<i32>, k: i32) -> f32 { return windowX(at, filterTap(k)); }`,
  },
  loadB: `fn loadB(batch: i32, k: i32, col: i32) -> f32 { return W[k * convOutC + col]; }`,
  aContiguous: 'k',
  bContiguous: 'col',
});

/**
 * dx = dy ⊛ Wᵀ: rows are input positions (n, ih, iw), the inner index is (kh, kw, co), columns are
 * input channels. Position ih receives from output row oh where oh·stride − pad + kh = ih.
 */
const backpropInput = (g: ConvGeometry): GemmOperands => baked(g, {
  key: 'conv2dBackpropInput',
  variableNames: ['dy', 'W'],
  loadA: `fn loadA(batch: i32, row: i32, k: i32) -> f32 { return loadAAt(aRowOf(batch, row), k); }`,
  // A row's data: (n, ih + padTop, iw + padLeft).
  aRow: {
    type: 'vec3<i32>',
    code: `fn aRowOf(batch: i32, row: i32) -> vec3<i32> {
    let iw = row % convInW;
    let ih = (row / convInW) % convInH;
    return vec3<i32>(row / (convInW * convInH), ih + convPadTop, iw + convPadLeft);
  }
  fn loadAAt(at: vec3<i32>, k: i32) -> f32 {
    let co = k % convOutC;
    let kw = (k / convOutC) % convFilterW;
    let kh = k / (convOutC * convFilterW);
    let th = at.y - kh;
    let tw = at.z - kw;
    if (th < 0 || tw < 0 || th % convStrideH != 0 || tw % convStrideW != 0) { return 0.0; }
    let oh = th / convStrideH;
    let ow = tw / convStrideW;
    if (oh >= convOutH || ow >= convOutW) { return 0.0; }
    return dy[((at.x * convOutH + oh) * convOutW + ow) * convOutC + co];
  }`,
  },
  loadB: `fn loadB(batch: i32, k: i32, col: i32) -> f32 {
    let co = k % convOutC;
    let tap = k / convOutC;
    return W[(tap * convInC + col) * convOutC + co];
  }`,
  aContiguous: 'k',
  bContiguous: 'k',
});

/** dW = Σ over (n, oh, ow) of x-window ⊗ dy: rows are (kh, kw, c), the inner index is (n, oh, ow), columns are output channels. */
const backpropFilter = (g: ConvGeometry): GemmOperands => baked(g, {
  key: 'conv2dBackpropFilter',
  variableNames: ['x', 'dy'],
  loadA: `${X_WINDOW}
  fn loadA(batch: i32, row: i32, k: i32) -> f32 { return loadAWith(aInnerOf(batch, k), row); }`,
  aInner: {
    type: 'vec3<i32>',
    code: `fn aInnerOf(batch: i32, k: i32) -> vec3<i32> { return windowOrigin(outputPosition(k)); }
  fn loadAWith(at: vec3<i32>, row: i32) -> f32 { return windowX(at, filterTap(row)); }`,
  },
  loadB: `fn loadB(batch: i32, k: i32, col: i32) -> f32 { return dy[k * convOutC + col]; }`,
  aContiguous: 'row',
  bContiguous: 'col',
});

export function conv2dKernel(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const geometry = convGeometry(x.shape, filter.shape, attrs);
    if (!geometry) return stock(args);
    const { batchSize, outHeight, outWidth, outChannels, filterHeight, filterWidth, inChannels } = geometry.info;
    const size = { batch: 1, m: batchSize * outHeight * outWidth, n: outChannels, k: filterHeight * filterWidth * inChannels };
    if (!gemmFits(size) || size.k === 0) return stock(args);
    return runGemm(backend, forward(geometry), size, [x, filter], [], [batchSize, outHeight, outWidth, outChannels]);
  };
}

export function conv2dBackpropInputKernel(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const inputShape = attrs.inputShape as number[];
    const geometry = convGeometry(inputShape, filter.shape, attrs);
    if (!geometry) return stock(args);
    const { batchSize, inHeight, inWidth, inChannels, outChannels, filterHeight, filterWidth } = geometry.info;
    const size = { batch: 1, m: batchSize * inHeight * inWidth, n: inChannels, k: filterHeight * filterWidth * outChannels };
    if (!gemmFits(size) || size.k === 0) return stock(args);
    return runGemm(backend, backpropInput(geometry), size, [dy, filter], [], [...inputShape]);
  };
}

export function conv2dBackpropFilterKernel(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as Args;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const filterShape = attrs.filterShape as number[];
    const geometry = convGeometry(x.shape, filterShape, attrs);
    if (!geometry) return stock(args);
    const { batchSize, outHeight, outWidth, outChannels, filterHeight, filterWidth, inChannels } = geometry.info;
    const size = { batch: 1, m: filterHeight * filterWidth * inChannels, n: outChannels, k: batchSize * outHeight * outWidth };
    if (!gemmFits(size) || size.k === 0) return stock(args);
    return runGemm(backend, backpropFilter(geometry), size, [x, dy], [], [...filterShape]);
  };
}
