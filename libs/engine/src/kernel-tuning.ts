/**
 * Kernels a backend tunes to the device at hand (webgpu: each product's tiling). A kernel runs
 * synchronously and cannot wait for the GPU, so it only notes what it would tune; the engine calls
 * `tuneKernels` between steps, where waiting is allowed. Tuning never changes results: a backend
 * registers a tuner only for choices that give the same bits.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelTuner {
  /** Whether kernels launched since the last `tune` wait to be tuned. */
  readonly pending: boolean;
  tune(): Promise<void>;
}

const tuners = new Map<string, KernelTuner>();

/** Called by a backend when it starts; the engine never names a backend here. */
export function registerKernelTuner(backendName: string, tuner: KernelTuner): void {
  tuners.set(backendName, tuner);
}

/** Tunes what the active backend's kernels have noted; cheap when there is nothing to tune. */
export async function tuneKernels(): Promise<void> {
  const tuner = tuners.get(tf.getBackend());
  if (tuner?.pending) await tuner.tune();
}
