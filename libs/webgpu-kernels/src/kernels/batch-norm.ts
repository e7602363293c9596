/**
 * Training batch norm over the channel (last) axis and its gradient, the engine's fused kernels
 * (`RewindBatchNormTrain`, `RewindBatchNormGrad`, as rewind-native has them). Composed from tfjs ops,
 * a ResNet-20 step at batch 128 launched about 1,500 kernels, most of them batch norm's broadcasts,
 * and the host could not queue them as fast as an H100 ran them. Here the statistics are column
 * sums (column-sum.ts) and each output one elementwise pass: y = (x − mean)·invstd·scale + offset;
 * dOffset = Σdy, dScale = Σdy·(x − mean)·invstd, dx = scale·invstd·(dy − dOffset/N − (x − mean)·invstd²·Σdy·(x − mean)/N).
 */
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_TRAIN_KERNEL, type BatchNormAttrs } from '@rewind/engine/backend-contract';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { columnSum } from './column-sum.ts';

const THREADS = 256;

/** `value` for each element of the output ([..., cols] like x, or [cols]), in WGSL over its flat index `i`, its column `col` and `invstd`. */
class ChannelwiseProgram implements WebGPUProgram {
  readonly uniforms = 'cols : i32, epsilon : f32, rows : f32,';
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1];
  readonly size = true;

  constructor(
    readonly shaderKey: string,
    readonly variableNames: string[],
    outputShape: readonly number[],
    private readonly value: string,
  ) {
    this.outputShape = [...outputShape];
    this.dispatchLayout = { x: this.outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(util.sizeFromShape(this.outputShape) / THREADS), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index: i32) {
        if (index < uniforms.size) {
          let i = index;
          let col = index % uniforms.cols;
          let invstd = inverseSqrt(variance[col] + uniforms.epsilon);
          result[index] = ${this.value};
        }
      }
    `;
  }
}

type TrainInputs = { x: TensorInfo; scale?: TensorInfo; offset?: TensorInfo };
type GradInputs = { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo; scale?: TensorInfo };
type Args<I> = { inputs: I; backend: WebGPUBackend; attrs: BatchNormAttrs };

/** [rows, channels] of x; the engine's batch norm only ever passes non-empty float32 NHWC. */
function shapeOf(kernel: string, x: TensorInfo): { rows: number; cols: number } {
  const cols = x.shape[x.shape.length - 1] ?? 0;
  const rows = cols > 0 ? util.sizeFromShape(x.shape) / cols : 0;
  if (x.dtype !== 'float32' || x.shape.length < 2 || rows === 0) {
    throw new Error(`${kernel} on webgpu needs a non-empty float32 tensor of rank ≥ 2 (got ${x.dtype} [${x.shape}])`);
  }
  return { rows, cols };
}

const uniformsFor = (cols: number, epsilon: number, rows: number) => [
  { type: 'int32', data: [cols] },
  { type: 'float32', data: [epsilon] },
  { type: 'float32', data: [rows] },
];

/** Optional per-column inputs: the names the program reads, with their WGSL (1 or 0 when absent). */
function optionalInputs(named: Record<string, TensorInfo | undefined>, absent: Record<string, string>) {
  const names = Object.keys(named).filter((k) => named[k]);
  const expr = (k: string) => (named[k] ? `${k}[col]` : absent[k]!);
  return { names, tensors: names.map((k) => named[k]!), expr, key: names.join('-') || 'none' };
}

const train: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args as unknown as Args<TrainInputs>;
  const { x, scale, offset } = inputs;
  const { rows, cols } = shapeOf(BATCH_NORM_TRAIN_KERNEL, x);
  const mean = columnSum(backend, 'x', [x], rows, cols, [cols], rows);
  const variance = columnSum(backend, 'centeredSquare', [x, mean], rows, cols, [cols], rows);
  const extra = optionalInputs({ scale, offset }, { scale: '1.0', offset: '0.0' });
  const program = new ChannelwiseProgram(
    `rewindBatchNorm-${extra.key}`,
    ['x', 'mean', 'variance', ...extra.names],
    x.shape,
    `fma((x[i] - mean[col]) * invstd, ${extra.expr('scale')}, ${extra.expr('offset')})`,
  );
  const y = backend.runWebGPUProgram(program, [x, mean, variance, ...extra.tensors], 'float32', uniformsFor(cols, attrs.varianceEpsilon, rows));
  return [y, mean, variance];
};

const grad: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args as unknown as Args<GradInputs>;
  const { dy, x, mean, variance, scale } = inputs;
  const { rows, cols } = shapeOf(BATCH_NORM_GRAD_KERNEL, x);
  const uniforms = uniformsFor(cols, attrs.varianceEpsilon, rows);
  const dOffset = columnSum(backend, 'x', [dy], rows, cols, [cols]);
  const dyCentered = columnSum(backend, 'dyTimesCentered', [dy, x, mean], rows, cols, [cols]);
  const dScale = backend.runWebGPUProgram(
    new ChannelwiseProgram('rewindBatchNormScaleGrad', ['dyCentered', 'variance'], [cols], 'dyCentered[col] * invstd'),
    [dyCentered, variance],
    'float32',
    uniforms,
  );
  const extra = optionalInputs({ scale }, { scale: '1.0' });
  const program = new ChannelwiseProgram(
    `rewindBatchNormGrad-${extra.key}`,
    ['dy', 'x', 'mean', 'variance', 'dOffset', 'dyCentered', ...extra.names],
    x.shape,
    `${extra.expr('scale')} * invstd * (dy[i] - dOffset[col] / uniforms.rows - (x[i] - mean[col]) * invstd * invstd * dyCentered[col] / uniforms.rows)`,
  );
  const dx = backend.runWebGPUProgram(program, [dy, x, mean, variance, dOffset, dyCentered, ...extra.tensors], 'float32', uniforms);
  backend.disposeData(dyCentered.dataId);
  return [dx, dScale, dOffset];
};

export const batchNormConfigs: KernelConfig[] = [
  { kernelName: BATCH_NORM_TRAIN_KERNEL, backendName: 'webgpu', kernelFunc: train },
  { kernelName: BATCH_NORM_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: grad },
];
