/**
 * The engine's fused kernels: names, inputs, attributes and gradients, which the models and the
 * optimizer call through tfjs and which backend packages (@rewind/native-kernels, @rewind/webgpu-kernels)
 * implement. Defined here, by the caller, so a backend depends on the engine and never the reverse.
 */
import { engine, type GradConfig, type NamedAttrMap, type Tensor } from '@tensorflow/tfjs-core';

/** Inputs: param, grad, momentum, optional mask. Attrs: lr, momentum, weightDecay. Outputs: [param', momentum']. */
export const MASKED_SGD_KERNEL = 'RewindMaskedSgd';

export interface MaskedSgdAttrs extends NamedAttrMap {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** Inputs: x, scale?, offset? (each [channels]). Attrs: varianceEpsilon. Outputs: [y, mean, variance (biased)]. */
export const BATCH_NORM_TRAIN_KERNEL = 'RewindBatchNormTrain';
/** Inputs: dy, x, mean, variance, scale?. Attrs: varianceEpsilon. Outputs: [dx, dScale, dOffset]. */
export const BATCH_NORM_GRAD_KERNEL = 'RewindBatchNormGrad';

export interface BatchNormAttrs extends NamedAttrMap {
  varianceEpsilon: number;
}

/**
 * The mean and variance outputs are batch statistics for the running averages, not activations:
 * gradient flows to x, scale and offset through y only (the statistics' own dependence on x is
 * inside the gradient kernel's formula). Gradients are global in tfjs: each backend package that
 * implements the two kernels registers this one.
 */
export const batchNormTrainGradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAIN_KERNEL,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0]! : dys;
    const [x, scale, mean, variance] = saved as [Tensor, Tensor | undefined, Tensor, Tensor];
    const inputs: Record<string, Tensor> = { dy, x, mean, variance };
    if (scale) inputs.scale = scale;
    const [dx, dScale, dOffset] = engine().runKernel(BATCH_NORM_GRAD_KERNEL, inputs, attrs) as Tensor[];
    return { x: () => dx!, scale: () => dScale!, offset: () => dOffset! };
  },
};

// The loss's fused kernels live beside their composed fallback.
export { SOFTMAX_XENT_GRAD_KERNEL, SOFTMAX_XENT_KERNEL } from './loss.ts';
