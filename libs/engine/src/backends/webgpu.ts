/**
 * The `webgpu` candidate: tfjs-backend-webgpu on Dawn (the `webgpu` package's dawn.node), which
 * reaches an NVIDIA GPU through the Vulkan loader (Debian libvulkan1) and the driver's ICD file.
 * Both packages are optional dependencies; without them, or without a GPU adapter, it steps aside.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerKernelTuner } from '../kernel-tuning.ts';
import { registerStepRecorder } from '../step-replay.ts';
import type { Probe } from './candidates.ts';
import { watchDeviceErrors } from './device-errors.ts';
import { findDriverManifests } from './vulkan-drivers.ts';
import { webgpuStepRecorder } from './webgpu-replay/recorder.ts';
import { gpuErrorsOf, idle, webgpuInternals } from './webgpu-internals.ts';
import { describeTuning, gemmTuner, gemmTuningSetting } from './webgpu-kernels/gemm-tuner.ts';
import { limitsOf } from './webgpu-kernels/gemm-variants.ts';
import { TilingsFile, tilingsFilePath } from './webgpu-kernels/tilings-file.ts';
import { registerRewindWebgpuKernels, webgpuKernelSet } from './webgpu-kernels/index.ts';

const VULKAN_LOADER = 'libvulkan.so.1';

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

/**
 * Whether the dynamic linker can find the Vulkan loader, by the same search Dawn does. Checked
 * first because Dawn, lacking it, prints multi-line warnings instead of failing in one line.
 * `process.dlopen` on a library that is not a Node addon loads it and then throws "did not
 * self-register"; only a failed lookup throws "cannot open shared object file".
 */
function findVulkanLoader(): string | undefined {
  try {
    process.dlopen({ exports: {} }, VULKAN_LOADER);
    return undefined;
  } catch (error) {
    const message = firstLine(error);
    return /self-register/.test(message) ? undefined : message;
  }
}

/**
 * tfjs submits its recorded dispatches to the GPU queue every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE
 * (15); `REWIND_WEBGPU_SUBMIT_BATCH` changes that, to trade submit overhead against queue latency.
 */
function setSubmitBatch(): void {
  const value = process.env.REWIND_WEBGPU_SUBMIT_BATCH;
  if (!value) return;
  const dispatches = Number(value);
  if (!(Number.isInteger(dispatches) && dispatches >= 1)) throw new Error(`REWIND_WEBGPU_SUBMIT_BATCH must be a positive integer (got '${value}')`);
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', dispatches);
}

interface AdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  /** The GPU model, where the implementation tells it (Dawn on NVIDIA describes only the driver). */
  readonly device?: string;
  readonly description: string;
  readonly isFallbackAdapter?: boolean;
}

type GpuAdapter = GPUAdapter & { requestAdapterInfo?: () => Promise<AdapterDescription> };

/** `adapter.info` in current Dawn; `requestAdapterInfo()` in older WebGPU implementations. */
async function describe(adapter: GpuAdapter): Promise<AdapterDescription> {
  if ('info' in adapter && adapter.info) return adapter.info;
  if (adapter.requestAdapterInfo) return adapter.requestAdapterInfo();
  return { vendor: '', architecture: '', description: '' };
}

/**
 * tfjs-backend-webgpu registers itself on import only when it sees `navigator.gpu`, and its kernels
 * use the browser's WebGPU globals (GPUBufferUsage, GPUMapMode…), which dawn.node exports instead.
 */
function exposeGpu(gpu: GPU, globals: object): void {
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const scope = globalThis as { navigator?: object };
  // Node 21+ has a `navigator`; Node 20 has none, so one is made that carries just `gpu`.
  if (scope.navigator) Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

/**
 * Lets the engine tune Rewind's products to this GPU between steps, logging what each tuning found
 * and keeping it in the tilings file under the adapter's name, the tuning limit and the device's limits.
 */
function tuneProducts(adapter: string, tilingsPerProduct: number): void {
  const b = webgpuInternals(tf.backend());
  if (typeof b === 'string') {
    console.warn(`rewind: webgpu products keep their sized tilings, untuned (${b})`);
    return;
  }
  const limits = limitsOf(b.device);
  const path = tilingsFilePath();
  const device = `${adapter}; up to ${tilingsPerProduct} tilings a product; ${limits.workgroupStorageBytes} B workgroup memory, ${limits.threadsPerWorkgroup} threads`;
  const file = path ? new TilingsFile(path, device) : undefined;
  const known = gemmTuner.enable({ idle: () => idle(b), attempt: (run) => gpuErrorsOf(b, run), tilingsPerProduct }, file);
  console.error(
    `rewind: webgpu tilings are tuned to this GPU between steps (up to ${tilingsPerProduct} a product; ${file ? `${known} products known from ${file.path}` : 'no tilings file'})`,
  );
  registerKernelTuner('webgpu', {
    get pending() {
      return gemmTuner.pending;
    },
    async tune() {
      const start = performance.now();
      const found = await gemmTuner.tune();
      console.error(describeTuning(found, performance.now() - start));
    },
  });
}

export async function activateWebgpu(use: (backendName: string, detail: string) => Promise<Probe>): Promise<Probe> {
  let create: (options: string[]) => GPU;
  let globals: object;
  try {
    ({ create, globals } = await import('webgpu'));
  } catch (error) {
    return { ok: false, why: `webgpu (dawn.node) unavailable (${firstLine(error)})` };
  }
  const loaderMissing = findVulkanLoader();
  if (loaderMissing) return { ok: false, why: `no Vulkan loader, so no WebGPU adapter (install Debian libvulkan1; ${loaderMissing})` };

  // Checked before Dawn too: Dawn without a driver prints a multi-line vkCreateInstance warning.
  if (findDriverManifests().length === 0) {
    const named = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES;
    const where = named ? `VK_DRIVER_FILES=${named} names no existing ICD file` : 'no ICD file in the loader\'s search path (vulkan/icd.d)';
    return { ok: false, why: `no Vulkan driver: ${where}` };
  }

  const gpu = create([]);
  const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as GpuAdapter | null;
  if (!adapter) {
    const icd = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES ?? 'unset';
    return { ok: false, why: `Dawn found no Vulkan-capable GPU adapter (VK_DRIVER_FILES=${icd})` };
  }
  const info = await describe(adapter);
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') || 'unnamed adapter';
  // A software Vulkan device (lavapipe, SwiftShader) is slower than every CPU backend below; tests that
  // exercise the real WGSL kernels on one (see scripts/fetch-software-vulkan.sh) ask for it explicitly.
  const allowSoftware = process.env.REWIND_WEBGPU_ALLOW_SOFTWARE === '1';
  if (info.isFallbackAdapter && !allowSoftware) return { ok: false, why: `only a software WebGPU adapter (${name})` };

  exposeGpu(gpu, globals);
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    return { ok: false, why: `@tensorflow/tfjs-backend-webgpu unavailable (${firstLine(error)})` };
  }
  const kernels = webgpuKernelSet();
  if (kernels === 'rewind') registerRewindWebgpuKernels();
  setSubmitBatch();
  const tilingsPerProduct = kernels === 'rewind' ? gemmTuningSetting(process.env.REWIND_WEBGPU_TUNE, info.isFallbackAdapter === true) : 0;
  const software = info.isFallbackAdapter ? '; software adapter allowed by REWIND_WEBGPU_ALLOW_SOFTWARE' : '';
  const probe = await use('webgpu', `tfjs webgpu on Dawn/Vulkan, adapter ${name}${software}, ${kernels} kernels`);
  if (!probe.ok) return probe;
  watchDeviceErrors((tf.backend() as unknown as { device: EventTarget }).device, 'webgpu');
  const recorder = webgpuStepRecorder(tf.backend());
  if (typeof recorder === 'string') console.warn(`rewind: webgpu training steps will not be replayed (${recorder})`);
  else registerStepRecorder('webgpu', recorder);
  if (tilingsPerProduct > 0) tuneProducts([name, info.device].filter(Boolean).join(' / '), tilingsPerProduct);
  return probe;
}
