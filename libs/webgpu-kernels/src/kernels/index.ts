/**
 * Rewind's WGSL kernels for tfjs-backend-webgpu, registered over tfjs's own for the ops that
 * dominate a training step: matMul (with transposes), conv2d and its two backprops (tfjs's filter
 * gradient is a naive loop per weight that slows as the batch grows), Sum and Mean over all but the
 * last axis (bias gradients, batch-norm statistics), training batch norm and its gradient as the
 * engine's fused kernels, the fused masked SGD update, and the mean softmax cross-entropy with its
 * gradient. Each replaced kernel falls back to tfjs's for cases it does not handle (NCHW, dilation,
 * int32, other reduction axes).
 * `REWIND_WEBGPU_KERNELS=stock` keeps tfjs's kernels, to compare.
 */
import { batchNormTrainGradConfig } from '@rewind/engine/backend-contract';
import { getKernel, type KernelFunc, registerGradient, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { batchNormConfigs } from './batch-norm.ts';
import { meanKernel, sumKernel } from './column-sum.ts';
import { conv2dBackpropFilterKernel, conv2dBackpropInputKernel, conv2dKernel } from './conv2d.ts';
import { maskedSgdConfig } from './masked-sgd.ts';
import { matmulKernel } from './matmul.ts';
import { softmaxXentConfigs } from './softmax-xent.ts';

const BACKEND = 'webgpu';
const REPLACED: Readonly<Record<string, (stock: KernelFunc) => KernelFunc>> = {
  BatchMatMul: matmulKernel,
  Conv2D: conv2dKernel,
  Conv2DBackpropInput: conv2dBackpropInputKernel,
  Conv2DBackpropFilter: conv2dBackpropFilterKernel,
  Sum: sumKernel,
  Mean: meanKernel,
};

let registered = false;

/** Registers the kernels once per process (tfjs's registry is global); call after tfjs-backend-webgpu loads. */
export function registerRewindWebgpuKernels(): void {
  if (registered) return;
  registered = true;
  for (const [name, wrap] of Object.entries(REPLACED)) {
    const stock = getKernel(name, BACKEND);
    if (!stock) throw new Error(`tfjs-backend-webgpu has no ${name} kernel to replace`);
    unregisterKernel(name, BACKEND);
    registerKernel({ ...stock, kernelFunc: wrap(stock.kernelFunc) });
  }
  registerKernel(maskedSgdConfig);
  batchNormConfigs.forEach(registerKernel);
  registerGradient(batchNormTrainGradConfig);
  softmaxXentConfigs.forEach(registerKernel);
}
