/**
 * The mean softmax cross-entropy and its gradient as one launch each (see engine/src/loss.ts).
 * The loss is reduced by a single workgroup in a fixed order, so it is deterministic; the gradient
 * gives each row to one thread, which recomputes that row's softmax. Labels may be float32 or
 * int32 (tf.oneHot's), read through f32().
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { SOFTMAX_XENT_GRAD_KERNEL, SOFTMAX_XENT_KERNEL } from '@rewind/engine/backend-contract';

const THREADS = 256;

/** WGSL: the row's max logit and log Σ exp(logit − max), the stable log-sum-exp. */
const ROW_LOG_SUM_EXP = `
  fn rowMax(r: i32) -> f32 {
    var m = logits[r * uniforms.classes];
    for (var c = 1; c < uniforms.classes; c++) { m = max(m, logits[r * uniforms.classes + c]); }
    return m;
  }
  fn rowLogSumExp(r: i32, m: f32) -> f32 {
    var s = 0.0;
    for (var c = 0; c < uniforms.classes; c++) { s += exp(logits[r * uniforms.classes + c] - m); }
    return log(s);
  }`;

class LossProgram implements WebGPUProgram {
  readonly variableNames = ['logits', 'labels'];
  readonly uniforms = 'rows : i32, classes : i32,';
  readonly outputShape = [1];
  shaderKey = 'rewindSoftmaxXent';
  readonly dispatchLayout = { x: [0] };
  dispatch: [number, number, number] = [1, 1, 1];
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1];

  getUserCode(): string {
    return `
      var<workgroup> partial: array<f32, ${THREADS}>;
      ${ROW_LOG_SUM_EXP}
      fn main(index: i32) {
        let t = i32(localId.x);
        var sum = 0.0;
        for (var r = t; r < uniforms.rows; r += ${THREADS}) {
          let m = rowMax(r);
          let lse = rowLogSumExp(r, m) + m;
          // −Σ y·log softmax = Σ y·(lse − logit)
          for (var c = 0; c < uniforms.classes; c++) {
            let i = r * uniforms.classes + c;
            sum += f32(labels[i]) * (lse - logits[i]);
          }
        }
        partial[t] = sum;
        workgroupBarrier();
        for (var stride = ${THREADS / 2}; stride > 0; stride /= 2) {
          if (t < stride) { partial[t] += partial[t + stride]; }
          workgroupBarrier();
        }
        if (t == 0) { result[0] = partial[0] / f32(uniforms.rows); }
      }
    `;
  }
}

class GradProgram implements WebGPUProgram {
  readonly variableNames = ['logits', 'labels', 'dy'];
  readonly uniforms = 'rows : i32, classes : i32,';
  readonly outputShape: number[];
  shaderKey = 'rewindSoftmaxXentGrad';
  readonly dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1];

  constructor(shape: readonly number[]) {
    this.outputShape = [...shape];
    this.dispatch = [Math.ceil(shape[0]! / THREADS), 1, 1];
  }

  getUserCode(): string {
    return `
      ${ROW_LOG_SUM_EXP}
      fn main(index: i32) {
        let r = index;
        if (r >= uniforms.rows) { return; }
        let m = rowMax(r);
        let lse = rowLogSumExp(r, m) + m;
        var mass = 0.0;
        for (var c = 0; c < uniforms.classes; c++) { mass += f32(labels[r * uniforms.classes + c]); }
        let scale = dy[0] / f32(uniforms.rows);
        // d/dlogit of Σ y·(lse − logit) = softmax·Σy − y
        for (var c = 0; c < uniforms.classes; c++) {
          let i = r * uniforms.classes + c;
          result[i] = scale * (exp(logits[i] - lse) * mass - f32(labels[i]));
        }
      }
    `;
  }
}

type Args = { inputs: { logits: TensorInfo; labels: TensorInfo; dy?: TensorInfo }; backend: WebGPUBackend };

const dims = (logits: TensorInfo) => [logits.shape[0]!, logits.shape[1]!].map((v) => ({ type: 'int32', data: [v] }));

const loss: KernelFunc = (args) => {
  const { inputs, backend } = args as unknown as Args;
  return backend.runWebGPUProgram(new LossProgram(), [inputs.logits, inputs.labels], 'float32', dims(inputs.logits));
};

const grad: KernelFunc = (args) => {
  const { inputs, backend } = args as unknown as Args;
  const program = new GradProgram(inputs.logits.shape);
  return backend.runWebGPUProgram(program, [inputs.logits, inputs.labels, inputs.dy!], 'float32', dims(inputs.logits));
};

export const softmaxXentConfigs: KernelConfig[] = [
  { kernelName: SOFTMAX_XENT_KERNEL, backendName: 'webgpu', kernelFunc: loss },
  { kernelName: SOFTMAX_XENT_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: grad },
];
