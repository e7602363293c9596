/**
 * The `rewind-native` tfjs backend: the cpu backend with its hot kernels swapped for the addon's.
 * Every other cpu kernel is re-registered under the new name unchanged, so coverage is the cpu
 * backend's and only the kernels that dominate training time change.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { getKernelsForBackend, type KernelConfig, registerBackend, registerGradient, registerKernel } from '@tensorflow/tfjs-core';
import { batchNormTrainGradConfig } from '@rewind/engine/backend-contract';
import type { NativeAddon } from './addon.ts';
import { batchNormGradConfig, batchNormTrainConfig, fusedBatchNormConfig } from './kernels/batchnorm.ts';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig, conv2dConfig, fusedConv2dConfig } from './kernels/conv.ts';
import { addConfig, meanConfig, multiplyConfig, realDivConfig, reluConfig, stepConfig, subConfig, sumConfig } from './kernels/elementwise.ts';
import { batchMatMulConfig, fusedMatMulConfig } from './kernels/matmul.ts';
import { maxPoolConfig, maxPoolGradConfig } from './kernels/pool.ts';
import { maskedSgdConfig } from './kernels/sgd.ts';

export const NATIVE_BACKEND_NAME = 'rewind-native';

class RewindNativeBackend extends MathBackendCPU {
  constructor() {
    super();
    // The cpu backend nags Node users to install tfjs-node on first write; this backend is the answer to that.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }
}

let registeredWith: NativeAddon | undefined;

/** Registers the backend and its kernels once; `threads` applies to OpenBLAS and oneDNN alike. */
export function registerNativeBackend(addon: NativeAddon, threads: number): void {
  addon.setThreads(threads);
  if (registeredWith) return;
  registeredWith = addon;
  const native: KernelConfig[] = [
    batchMatMulConfig(addon, NATIVE_BACKEND_NAME),
    fusedMatMulConfig(addon, NATIVE_BACKEND_NAME),
    conv2dConfig(addon, NATIVE_BACKEND_NAME),
    fusedConv2dConfig(addon, NATIVE_BACKEND_NAME),
    conv2dBackpropInputConfig(addon, NATIVE_BACKEND_NAME),
    conv2dBackpropFilterConfig(addon, NATIVE_BACKEND_NAME),
    maxPoolConfig(addon, NATIVE_BACKEND_NAME),
    maxPoolGradConfig(addon, NATIVE_BACKEND_NAME),
    addConfig(addon, NATIVE_BACKEND_NAME),
    multiplyConfig(addon, NATIVE_BACKEND_NAME),
    subConfig(addon, NATIVE_BACKEND_NAME),
    realDivConfig(addon, NATIVE_BACKEND_NAME),
    reluConfig(addon, NATIVE_BACKEND_NAME),
    stepConfig(addon, NATIVE_BACKEND_NAME),
    sumConfig(addon, NATIVE_BACKEND_NAME),
    meanConfig(addon, NATIVE_BACKEND_NAME),
    maskedSgdConfig(addon, NATIVE_BACKEND_NAME),
    batchNormTrainConfig(addon, NATIVE_BACKEND_NAME),
    batchNormGradConfig(addon, NATIVE_BACKEND_NAME),
    fusedBatchNormConfig(addon, NATIVE_BACKEND_NAME),
  ];
  const replaced = new Set(native.map((k) => k.kernelName));
  for (const config of getKernelsForBackend('cpu')) {
    if (!replaced.has(config.kernelName)) registerKernel({ ...config, backendName: NATIVE_BACKEND_NAME });
  }
  native.forEach(registerKernel);
  registerGradient(batchNormTrainGradConfig);
  registerBackend(NATIVE_BACKEND_NAME, () => new RewindNativeBackend(), 3);
}
