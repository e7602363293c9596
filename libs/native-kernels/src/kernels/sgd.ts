/**
 * The masked SGD update as one kernel per parameter (instead of ~7 tfjs ops), producing the new
 * parameter and momentum buffer. It writes fresh arrays rather than mutating the variable's storage
 * because callers may still hold the old values (e.g. a rewind snapshot read through dataSync()).
 */
import { MASKED_SGD_KERNEL, type MaskedSgdAttrs } from '@rewind/engine/backend-contract';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { f32, type KernelArgs, output } from './buffers.ts';

type MaskedSgdInputs = { param: TensorInfo; grad: TensorInfo; momentum: TensorInfo; mask?: TensorInfo };

export function maskedSgdConfig(addon: NativeAddon, backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs<MaskedSgdInputs, MaskedSgdAttrs>): TensorInfo[] => {
    const shape = [...inputs.param.shape];
    const param = output(backend, shape);
    const momentum = output(backend, shape);
    addon.maskedSgd(
      f32(backend, inputs.param),
      f32(backend, inputs.grad),
      f32(backend, inputs.momentum),
      inputs.mask ? f32(backend, inputs.mask) : null,
      param.values,
      momentum.values,
      attrs.lr,
      attrs.momentum,
      attrs.weightDecay,
    );
    return [param.info, momentum.info];
  };
  return { kernelName: MASKED_SGD_KERNEL, backendName, kernelFunc: kernelFunc as unknown as KernelFunc };
}
