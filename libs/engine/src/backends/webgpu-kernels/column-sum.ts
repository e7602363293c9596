/**
 * Sum and Mean over every axis but the last ([..., C] → [C]): bias gradients and batch-norm
 * statistics. tfjs's reduce first transposes C to the front (a full copy of the tensor) and then
 * reduces each row with one workgroup; on an H100 that pair was a fifth of Conv-2's step at batch
 * 512. Here each pass reads the tensor once and adds fixed chunks of rows per workgroup, then the
 * chunks' partial sums are reduced by the same pass until one row is left. The order of additions is
 * set by the tensor's shape alone, so results are deterministic. Other reductions go to tfjs's kernel.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { type KernelFunc, type SumAttrs, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { MAX_WORKGROUPS_PER_DIMENSION } from './gemm-program.ts';

const THREADS = 256;
const MAX_COLUMN_LANES = 64;
const ROWS_PER_THREAD = 16;

/** Threads across columns: the power of two that covers C, at most 64; the rest of the 256 go down the rows. */
const columnLanesFor = (cols: number) => Math.min(MAX_COLUMN_LANES, 2 ** Math.ceil(Math.log2(Math.max(1, cols))));

/** Rows one workgroup adds: its row threads, each adding every row-lanes-th row of the chunk 16 times. */
const chunkRowsFor = (cols: number) => (THREADS / columnLanesFor(cols)) * ROWS_PER_THREAD;

/** One pass: [rows, C] → [ceil(rows / chunk), C], each output row the sum of one chunk of rows (divided by `divisor`). */
class ColumnSumProgram implements WebGPUProgram {
  readonly variableNames = ['x'];
  readonly uniforms = 'rows : i32, cols : i32, divisor : f32,';
  readonly outputShape: number[];
  shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  private readonly lanes: number;
  private readonly rowLanes: number;

  constructor(rows: number, cols: number, outputShape: number[]) {
    this.lanes = columnLanesFor(cols);
    this.rowLanes = THREADS / this.lanes;
    this.workgroupSize = [this.lanes, this.rowLanes, 1];
    this.shaderKey = `rewindColumnSum-${this.lanes}`;
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(cols / this.lanes), Math.ceil(rows / chunkRowsFor(cols)), 1];
  }

  getUserCode(): string {
    const { lanes, rowLanes } = this;
    return `
      var<workgroup> partial: array<f32, ${THREADS}>;
      fn main(index: i32) {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let col = i32(workgroupId.x) * ${lanes} + tx;
        let row0 = i32(workgroupId.y) * ${rowLanes * ROWS_PER_THREAD};
        var sum = 0.0;
        if (col < uniforms.cols) {
          for (var i = 0; i < ${ROWS_PER_THREAD}; i++) {
            let row = row0 + i * ${rowLanes} + ty;
            if (row < uniforms.rows) { sum += x[row * uniforms.cols + col]; }
          }
        }
        partial[ty * ${lanes} + tx] = sum;
        workgroupBarrier();
        for (var stride = ${rowLanes / 2}; stride > 0; stride /= 2) {
          if (ty < stride) { partial[ty * ${lanes} + tx] += partial[(ty + stride) * ${lanes} + tx]; }
          workgroupBarrier();
        }
        if (ty == 0 && col < uniforms.cols) {
          result[i32(workgroupId.y) * uniforms.cols + col] = partial[tx] / uniforms.divisor;
        }
      }
    `;
  }
}

/** The column count when `axis` names every axis but the last of `x` (float32, rank ≥ 2); else undefined. */
function columnsOf(x: TensorInfo, axis: number | number[]): number | undefined {
  const rank = x.shape.length;
  const axes = [...util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
  if (x.dtype !== 'float32' || rank < 2 || axes.length !== rank - 1 || axes.some((a, i) => a !== i)) return undefined;
  const rows = util.sizeFromShape(x.shape.slice(0, -1));
  if (rows === 0 || Math.ceil(rows / chunkRowsFor(x.shape[rank - 1]!)) > MAX_WORKGROUPS_PER_DIMENSION) return undefined;
  return x.shape[rank - 1]!;
}

/** Passes until one row is left; the last writes `outputShape` and divides by `divisor`. */
function columnSum(backend: WebGPUBackend, x: TensorInfo, cols: number, outputShape: number[], divisor: number): TensorInfo {
  let input = x;
  let rows = util.sizeFromShape(x.shape) / cols;
  for (;;) {
    const chunks = Math.ceil(rows / chunkRowsFor(cols));
    const last = chunks === 1;
    const uniforms = [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [cols] },
      { type: 'float32', data: [last ? divisor : 1] },
    ];
    const out = backend.runWebGPUProgram(new ColumnSumProgram(rows, cols, last ? outputShape : [chunks, cols]), [input], 'float32', uniforms);
    if (input !== x) backend.disposeData(input.dataId);
    if (last) return out;
    input = out;
    rows = chunks;
  }
}

function reduceKernel(stock: KernelFunc, mean: boolean): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as { inputs: { x: TensorInfo }; backend: WebGPUBackend; attrs: SumAttrs };
    const { x } = inputs;
    const cols = columnsOf(x, attrs.axis);
    if (cols === undefined) return stock(args);
    const outputShape = attrs.keepDims ? [...x.shape.slice(0, -1).map(() => 1), cols] : [cols];
    return columnSum(backend, x, cols, outputShape, mean ? util.sizeFromShape(x.shape) / cols : 1);
  };
}

export const sumKernel = (stock: KernelFunc): KernelFunc => reduceKernel(stock, false);
export const meanKernel = (stock: KernelFunc): KernelFunc => reduceKernel(stock, true);
