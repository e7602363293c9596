/**
 * Batch norm over the channel (last) axis as native kernels. In training tfjs builds batch norm from
 * moments plus FusedBatchNorm, and its gradient from ~40 broadcasting ops (tile, sub, div, mean);
 * on the cpu backend those took 95% of a ResNet-20 step. Here training is one kernel for the
 * statistics and the output, and one for the whole gradient; FusedBatchNorm (inference) is native too.
 */
import {
  FusedBatchNorm,
  type FusedBatchNormAttrs,
  type FusedBatchNormInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_TRAIN_KERNEL, type BatchNormAttrs } from '@rewind/engine/backend-contract';
import type { NativeAddon } from '../addon.ts';
import { allF32, cpuKernel, f32, type KernelArgs, output } from './buffers.ts';

type TrainInputs = { x: TensorInfo; scale?: TensorInfo; offset?: TensorInfo };
type GradInputs = { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo; scale?: TensorInfo };

function channelsOf(x: TensorInfo): { rows: number; channels: number } {
  const channels = x.shape[x.shape.length - 1] ?? 1;
  return { rows: util.sizeFromShape(x.shape) / channels, channels };
}

const optional = (backend: KernelArgs<unknown>['backend'], t: TensorInfo | undefined) => (t ? f32(backend, t) : null);

export function batchNormTrainConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs<TrainInputs, BatchNormAttrs>): TensorInfo[] => {
    const { rows, channels } = channelsOf(inputs.x);
    const y = output(backend, [...inputs.x.shape]);
    const mean = output(backend, [channels]);
    const variance = output(backend, [channels]);
    addon.batchNormTrain(
      f32(backend, inputs.x),
      optional(backend, inputs.scale),
      optional(backend, inputs.offset),
      y.values,
      mean.values,
      variance.values,
      rows,
      channels,
      attrs.varianceEpsilon,
    );
    return [y.info, mean.info, variance.info];
  };
  return { kernelName: BATCH_NORM_TRAIN_KERNEL, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function batchNormGradConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs<GradInputs, BatchNormAttrs>): TensorInfo[] => {
    const { rows, channels } = channelsOf(inputs.x);
    const dx = output(backend, [...inputs.x.shape]);
    const dScale = output(backend, [channels]);
    const dOffset = output(backend, [channels]);
    addon.batchNormGrad(
      f32(backend, inputs.dy),
      f32(backend, inputs.x),
      f32(backend, inputs.mean),
      f32(backend, inputs.variance),
      optional(backend, inputs.scale),
      dx.values,
      dScale.values,
      dOffset.values,
      rows,
      channels,
      attrs.varianceEpsilon,
    );
    return [dx.info, dScale.info, dOffset.info];
  };
  return { kernelName: BATCH_NORM_GRAD_KERNEL, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** Inference batch norm with per-channel statistics; other broadcasts stay on the cpu kernel. */
export function fusedBatchNormConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const fallback = cpuKernel(FusedBatchNorm);
  const kernelFunc = (args: KernelArgs<FusedBatchNormInputs, FusedBatchNormAttrs>): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, mean, variance, scale, offset } = inputs as { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; scale?: TensorInfo; offset?: TensorInfo };
    const { rows, channels } = channelsOf(x);
    const perChannel =
      rows > 0 &&
      allF32(backend, x, mean, variance, scale, offset) &&
      [mean, variance, scale, offset].every((t) => !t || util.sizeFromShape(t.shape) === channels);
    if (!perChannel) return fallback(args as never) as TensorInfo;
    const y = output(backend, [...x.shape]);
    addon.batchNormApply(
      f32(backend, x),
      f32(backend, mean),
      f32(backend, variance),
      optional(backend, scale),
      optional(backend, offset),
      y.values,
      rows,
      channels,
      attrs.varianceEpsilon,
    );
    return y.info;
  };
  return { kernelName: FusedBatchNorm, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}
