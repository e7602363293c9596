/**
 * Rewind's WebGPU backend: tfjs-backend-webgpu on Dawn with Rewind's WGSL kernels, step replay and
 * tiling tuning. The engine loads this package when it is present (backends/candidates.ts) and calls
 * `activateWebgpu`; the rest is what tests and benches look at.
 */
export { activateWebgpu, DAWN_OPTIONS } from './backend.ts';
export { readWebgpuConfig, tilingsToTime, type WebgpuConfig, type WebgpuKernelSet } from './config.ts';
export { variantName } from './kernels/gemm-program.ts';
export { gemmTuner } from './kernels/gemm-tuner.ts';
export { candidateVariants, defaultVariant } from './kernels/gemm-variants.ts';
export { webgpuStepRecorder } from './replay/recorder.ts';
export { driverManifestPaths, findDriverManifests } from './vulkan-drivers.ts';
