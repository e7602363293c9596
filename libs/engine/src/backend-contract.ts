/**
 * What a backend package (@rewind/native-kernels, @rewind/webgpu-kernels; loaded by backends/candidates.ts
 * when present) needs from the engine, and nothing more: the fused kernels' names, attributes and gradients that it
 * implements, the hooks it registers its step recorder and kernel tuner with, and how it reports
 * device errors and its probe's outcome. The engine never imports a backend package statically.
 */
export type { Probe } from './backends/candidates.ts';
export { watchDeviceErrors } from './backends/device-errors.ts';
export { type KernelTuner, registerKernelTuner } from './kernel-tuning.ts';
export {
  BATCH_NORM_GRAD_KERNEL,
  BATCH_NORM_TRAIN_KERNEL,
  type BatchNormAttrs,
  batchNormTrainGradConfig,
  MASKED_SGD_KERNEL,
  type MaskedSgdAttrs,
  SOFTMAX_XENT_GRAD_KERNEL,
  SOFTMAX_XENT_KERNEL,
} from './kernel-contract.ts';
export {
  type DispatchTime,
  type Recorded,
  type Recording,
  registerStepRecorder,
  type StepBody,
  type StepRecorder,
  stepReplaySetting,
} from './step-replay.ts';
