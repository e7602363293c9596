/**
 * The `webgpu` candidate: tfjs-backend-webgpu on Dawn (the `webgpu` package's dawn.node), which
 * reaches an NVIDIA GPU through the Vulkan loader (Debian libvulkan1) and the driver's ICD file.
 * Both packages are optional dependencies; without them, or without a GPU adapter, it steps aside.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Probe, registerKernelTuner, registerStepRecorder, watchDeviceErrors } from '@rewind/engine/backend-contract';
import { paceDawnPolling } from './dawn-polling.ts';
import { findDriverManifests } from './vulkan-drivers.ts';
import { webgpuStepRecorder } from './replay/recorder.ts';
import { gpuErrorsOf, idle, webgpuInternals } from './internals.ts';
import { readWebgpuConfig, tilingsToTime } from './config.ts';
import { describeTuning, gemmTuner } from './kernels/gemm-tuner.ts';
import { fixGemmVariant, limitsOf } from './kernels/gemm-variants.ts';
import { registerRewindWebgpuKernels } from './kernels/index.ts';
import { TilingsFile } from './kernels/tilings-file.ts';

const VULKAN_LOADER = 'libvulkan.so.1';

/**
 * Dawn's options for the adapter. Dawn keeps `shader-f16` off on NVIDIA's Vulkan driver unless asked
 * (its `vulkan_enable_f16_on_nvidia` toggle); exposing it changes nothing until a kernel requests it,
 * and the mixed-precision path needs it (bench/gpu-features.ts prints what an adapter offers with it).
 */
export const DAWN_OPTIONS: readonly string[] = ['enable-dawn-features=vulkan_enable_f16_on_nvidia'];

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
function tuneProducts(adapter: string, tilingsPerProduct: number, path: string | undefined): void {
  const b = webgpuInternals(tf.backend());
  if (typeof b === 'string') {
    console.warn(`rewind: webgpu products keep their sized tilings, untuned (${b})`);
    return;
  }
  const limits = limitsOf(b.device);
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
  // A wrong setting is an error, not a reason to train elsewhere.
  const config = readWebgpuConfig();
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

  const gpu = create([...DAWN_OPTIONS]);
  const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as GpuAdapter | null;
  if (!adapter) {
    const icd = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES ?? 'unset';
    return { ok: false, why: `Dawn found no Vulkan-capable GPU adapter (VK_DRIVER_FILES=${icd})` };
  }
  const info = await describe(adapter);
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') || 'unnamed adapter';
  // A software Vulkan device (lavapipe, SwiftShader) is slower than every CPU backend below; tests that
  // exercise the real WGSL kernels on one (see scripts/fetch-software-vulkan.sh) ask for it explicitly.
  if (info.isFallbackAdapter && !config.allowSoftware) return { ok: false, why: `only a software WebGPU adapter (${name})` };
  // A GPU's waits (a training step's readback) mostly end within 10 ms and keep Dawn's full-speed polling;
  // a software adapter's are shader compiles and CPU-bound dispatches, whose driver needs the core.
  paceDawnPolling(info.isFallbackAdapter ? 1 : 10);

  exposeGpu(gpu, globals);
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    return { ok: false, why: `@tensorflow/tfjs-backend-webgpu unavailable (${firstLine(error)})` };
  }
  const { kernels } = config;
  if (kernels === 'rewind') registerRewindWebgpuKernels();
  // tfjs submits its recorded dispatches every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE (15): submit overhead against queue latency.
  if (config.submitBatch) tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', config.submitBatch);
  const tilingsPerProduct = tilingsToTime(config, info.isFallbackAdapter === true);
  const software = info.isFallbackAdapter ? '; software adapter allowed by REWIND_WEBGPU_ALLOW_SOFTWARE' : '';
  const probe = await use('webgpu', `tfjs webgpu on Dawn/Vulkan, adapter ${name}${software}, ${kernels} kernels`);
  if (!probe.ok) return probe;
  fixGemmVariant(limitsOf((tf.backend() as unknown as { device: GPUDevice }).device), config.gemmVariant);
  watchDeviceErrors((tf.backend() as unknown as { device: EventTarget }).device, 'webgpu');
  if (config.stepReplay === 'on') {
    const recorder = webgpuStepRecorder(tf.backend());
    if (typeof recorder === 'string') console.warn(`rewind: webgpu training steps will not be replayed (${recorder})`);
    else registerStepRecorder('webgpu', recorder);
  }
  if (tilingsPerProduct > 0) tuneProducts([name, info.device].filter(Boolean).join(' / '), tilingsPerProduct, config.tilingsFile);
  return probe;
}
