/**
 * The backends Rewind can train on, fastest first. Each probe either activates its backend or
 * says why it can't; optional packages are imported dynamically so their absence is not an error.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

export type Probe = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly why: string };

export interface Candidate {
  /** The value `REWIND_BACKEND` / `preference` accepts. */
  readonly id: string;
  /** Whether a failure here deserves a warning in auto mode (an optional package being absent does not). */
  readonly expected: boolean;
  activate(): Promise<Probe>;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0]! : String(error));

async function importOptional(specifier: string): Promise<string | undefined> {
  try {
    await import(specifier);
    return undefined;
  } catch (error) {
    return firstLine(error);
  }
}

async function use(backendName: string, detail: string): Promise<Probe> {
  try {
    return (await tf.setBackend(backendName)) ? { ok: true, detail } : { ok: false, why: `tfjs could not initialise '${backendName}'` };
  } catch (error) {
    return { ok: false, why: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}

/** The NVIDIA driver's device nodes: tfjs-node-gpu without them would silently run on the CPU. */
export const hasNvidiaGpu = () => existsSync('/dev/nvidiactl') || existsSync('/proc/driver/nvidia/version');

const tensorflowGpu: Candidate = {
  id: 'tensorflow-gpu',
  expected: false,
  async activate() {
    const missing = await importOptional('@tensorflow/tfjs-node-gpu');
    if (missing) return { ok: false, why: `@tensorflow/tfjs-node-gpu not installed (${missing})` };
    if (!hasNvidiaGpu()) return { ok: false, why: 'tfjs-node-gpu is installed but no NVIDIA GPU is visible' };
    return use('tensorflow', 'libtensorflow on the GPU (tfjs-node-gpu)');
  },
};

const webgpu: Candidate = {
  id: 'webgpu',
  // Only a GPU node is expected to have an adapter; elsewhere its absence is the normal case.
  get expected() {
    return hasNvidiaGpu();
  },
  async activate() {
    // A package of its own, which imports the engine's backend contract: loaded here, never statically.
    // The specifier is a literal so that bundlers (the GPU bench bundle's esbuild) include the package.
    let webgpuKernels: typeof import('@rewind/webgpu-kernels');
    try {
      webgpuKernels = await import('@rewind/webgpu-kernels');
    } catch (error) {
      return { ok: false, why: `@rewind/webgpu-kernels unavailable (${firstLine(error)})` };
    }
    return webgpuKernels.activateWebgpu(use);
  },
};

const tensorflowCpu: Candidate = {
  id: 'tensorflow',
  expected: false,
  async activate() {
    const missing = await importOptional('@tensorflow/tfjs-node');
    if (missing) return { ok: false, why: `@tensorflow/tfjs-node not installed (${missing})` };
    return use('tensorflow', 'libtensorflow on the CPU (tfjs-node)');
  },
};

const rewindNative: Candidate = {
  id: 'rewind-native',
  expected: true,
  async activate() {
    // Like webgpu, a backend package that imports the engine's kernel contract: loaded, never imported statically.
    let native: typeof import('@rewind/native-kernels');
    try {
      native = await import('@rewind/native-kernels');
    } catch (error) {
      return { ok: false, why: `@rewind/native-kernels unavailable (${firstLine(error)})` };
    }
    const { loadNativeAddon, NATIVE_BACKEND_NAME, registerNativeBackend, resolveThreadCount } = native;
    const load = loadNativeAddon();
    if ('error' in load) return { ok: false, why: load.error };
    const threads = resolveThreadCount();
    registerNativeBackend(load.addon, threads);
    return use(NATIVE_BACKEND_NAME, `OpenBLAS + oneDNN addon, ${threads} thread${threads === 1 ? '' : 's'}`);
  },
};

const wasm: Candidate = {
  id: 'wasm',
  expected: true,
  async activate() {
    const missing = await importOptional('@tensorflow/tfjs-backend-wasm');
    if (missing) return { ok: false, why: `@tensorflow/tfjs-backend-wasm not installed (${missing})` };
    // Node gets the SIMD build but never wasm threads (disabled there by tfjs).
    return use('wasm', 'tfjs wasm (SIMD, single thread; no Conv2DBackpropFilter, so no conv training)');
  },
};

const cpu: Candidate = {
  id: 'cpu',
  expected: true,
  async activate() {
    await import('@tensorflow/tfjs-backend-cpu');
    return use('cpu', 'tfjs cpu (plain JavaScript kernels)');
  },
};

export const CANDIDATES: readonly Candidate[] = [tensorflowGpu, webgpu, tensorflowCpu, rewindNative, wasm, cpu];
