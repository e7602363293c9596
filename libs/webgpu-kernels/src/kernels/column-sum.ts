/**
 * Sum and Mean over every axis but the last ([..., C] → [C]): bias gradients and batch-norm
 * statistics. tfjs's reduce first transposes C to the front (a full copy of the tensor) and then
 * reduces each row with one workgroup; on an H100 that pair was a fifth of Conv-2's step at batch
 * 512. Here each pass reads the tensor once and adds fixed chunks of rows per workgroup, then the
 * chunks' partial sums are reduced by the same pass until one row is left. The order of additions is
 * set by the tensor's shape alone, so results are deterministic. Other reductions go to tfjs's kernel.
 * Batch norm (batch-norm.ts) sums products with per-column values through the same passes.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { type KernelFunc, type SumAttrs, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { MAX_WORKGROUPS_PER_DIMENSION } from './gemm-program.ts';

const THREADS = 256;
const MAX_COLUMN_LANES = 64;
const ROWS_PER_THREAD = 16;

/** Threads across columns: the power of two that covers C, at most 64; the rest of the 256 go down the rows. */
const columnLanesFor = (cols: number) => Math.min(MAX_COLUMN_LANES, 2 ** Math.ceil(Math.log2(Math.max(1, cols))));

export interface ColumnSumPass {
  /** Rows this pass adds: the tensor's, then the previous pass's chunks. */
  readonly rows: number;
  readonly columnLanes: number;
  readonly rowLanes: number;
  /** Rows each thread adds (every row-lanes-th row of its workgroup's chunk). */
  readonly rowsPerThread: number;
  /** Workgroups down the rows, one partial sum each; 1 for the last pass. */
  readonly chunks: number;
}

/**
 * The passes that sum [rows, cols] by columns. They depend on the shape alone, and so does the
 * order of additions. A thread adds 16 rows, or more where 16 would need more chunks than a grid
 * dimension holds.
 */
export function columnSumPasses(rows: number, cols: number): ColumnSumPass[] {
  const columnLanes = columnLanesFor(cols);
  const rowLanes = THREADS / columnLanes;
  const passes: ColumnSumPass[] = [];
  for (let left = rows; ; ) {
    const rowsPerThread = Math.max(ROWS_PER_THREAD, Math.ceil(left / (MAX_WORKGROUPS_PER_DIMENSION * rowLanes)));
    const chunks = Math.ceil(left / (rowLanes * rowsPerThread));
    passes.push({ rows: left, columnLanes, rowLanes, rowsPerThread, chunks });
    if (chunks === 1) return passes;
    left = chunks;
  }
}

/**
 * What the first pass adds per element (later passes add partial sums): x itself, or a product
 * with per-column values, so batch norm's sums need no tensor of their own.
 */
const COLUMN_TERMS = {
  x: { inputs: ['x'], value: 'x[i]' },
  /** (x − mean[col])², for the variance. */
  centeredSquare: { inputs: ['x', 'mean'], value: '(x[i] - mean[col]) * (x[i] - mean[col])' },
  /** dy·(x − mean[col]), for batch norm's scale gradient. */
  dyTimesCentered: { inputs: ['dy', 'x', 'mean'], value: 'dy[i] * (x[i] - mean[col])' },
} as const;
export type ColumnTerm = keyof typeof COLUMN_TERMS;

/** One pass: [rows, C] → [ceil(rows / chunk), C], each output row the sum of one chunk of rows' terms (divided by `divisor`). */
class ColumnSumProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly uniforms = 'rows : i32, cols : i32, rowsPerThread : i32, divisor : f32,';
  readonly outputShape: number[];
  shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  private readonly lanes: number;
  private readonly rowLanes: number;

  constructor(
    pass: ColumnSumPass,
    cols: number,
    outputShape: number[],
    private readonly term: ColumnTerm,
  ) {
    this.variableNames = [...COLUMN_TERMS[term].inputs];
    this.lanes = pass.columnLanes;
    this.rowLanes = pass.rowLanes;
    this.workgroupSize = [this.lanes, this.rowLanes, 1];
    this.shaderKey = `rewindColumnSum-${term}-${this.lanes}`;
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    // Column tiles past a grid dimension's limit wrap into z.
    const columnTiles = Math.ceil(cols / this.lanes);
    this.dispatch = [Math.min(columnTiles, MAX_WORKGROUPS_PER_DIMENSION), pass.chunks, Math.ceil(columnTiles / MAX_WORKGROUPS_PER_DIMENSION)];
  }

  getUserCode(): string {
    const { lanes, rowLanes } = this;
    return `
      var<workgroup> partial: array<f32, ${THREADS}>;
      fn main(index: i32) {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let col = (i32(workgroupId.z) * ${MAX_WORKGROUPS_PER_DIMENSION} + i32(workgroupId.x)) * ${lanes} + tx;
        let row0 = i32(workgroupId.y) * ${rowLanes} * uniforms.rowsPerThread;
        var sum = 0.0;
        if (col < uniforms.cols) {
          for (var r = 0; r < uniforms.rowsPerThread; r++) {
            let row = row0 + r * ${rowLanes} + ty;
            if (row < uniforms.rows) {
              let i = row * uniforms.cols + col;
              sum += ${COLUMN_TERMS[this.term].value};
            }
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
  return util.sizeFromShape(x.shape) === 0 ? undefined : x.shape[rank - 1];
}

/**
 * Σ over rows of `term` per column of the [rows, cols] inputs, divided by `divisor`, shaped
 * `outputShape`: passes until one row is left, the last one dividing.
 */
export function columnSum(backend: WebGPUBackend, term: ColumnTerm, inputs: TensorInfo[], rows: number, cols: number, outputShape: number[], divisor = 1): TensorInfo {
  let current = inputs;
  for (const pass of columnSumPasses(rows, cols)) {
    const last = pass.chunks === 1;
    const uniforms = [
      { type: 'int32', data: [pass.rows] },
      { type: 'int32', data: [cols] },
      { type: 'int32', data: [pass.rowsPerThread] },
      { type: 'float32', data: [last ? divisor : 1] },
    ];
    const program = new ColumnSumProgram(pass, cols, last ? outputShape : [pass.chunks, cols], current === inputs ? term : 'x');
    const out = backend.runWebGPUProgram(program, current, 'float32', uniforms);
    if (current !== inputs) backend.disposeData(current[0]!.dataId);
    current = [out];
  }
  return current[0]!;
}

function reduceKernel(stock: KernelFunc, mean: boolean): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as { inputs: { x: TensorInfo }; backend: WebGPUBackend; attrs: SumAttrs };
    const { x } = inputs;
    const cols = columnsOf(x, attrs.axis);
    if (cols === undefined) return stock(args);
    const rows = util.sizeFromShape(x.shape) / cols;
    const outputShape = attrs.keepDims ? [...x.shape.slice(0, -1).map(() => 1), cols] : [cols];
    return columnSum(backend, 'x', [x], rows, cols, outputShape, mean ? rows : 1);
  };
}

export const sumKernel = (stock: KernelFunc): KernelFunc => reduceKernel(stock, false);
export const meanKernel = (stock: KernelFunc): KernelFunc => reduceKernel(stock, true);
