/**
 * What the WebGPU adapter offers, as Dawn exposes it: features, the subgroup-matrix configurations
 * (the tensor-core path), and the limits Rewind's kernels size themselves by. One JSON line for Dawn's
 * defaults and one with the options the webgpu backend starts with (DAWN_OPTIONS), so a device run
 * shows what each toggle opens (on NVIDIA: `shader-f16`, and with it f16 subgroup matrices).
 *
 *   tsx bench/gpu-features.ts        (the GPU bundle's run.sh runs it first, in a second or two)
 */
import { DAWN_OPTIONS } from '@rewind/webgpu-kernels';

interface MatrixConfig {
  readonly componentType: string;
  readonly resultComponentType: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
}

const LIMITS = ['maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxStorageBufferBindingSize', 'maxBufferSize'] as const;

let webgpu: { create(options: string[]): GPU };
try {
  webgpu = await import('webgpu');
} catch (error) {
  console.log(JSON.stringify({ adapter: null, why: `webgpu (dawn.node) unavailable: ${(error as Error).message.split('\n')[0]}` }));
  process.exit(0);
}

for (const options of [[], DAWN_OPTIONS]) {
  const adapter = await webgpu.create([...options]).requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    console.log(JSON.stringify({ options, adapter: null }));
    continue;
  }
  const info = adapter.info as GPUAdapterInfo & { subgroupMatrixConfigs?: readonly MatrixConfig[]; isFallbackAdapter?: boolean };
  const matrices = (info.subgroupMatrixConfigs ?? []).map((c) => `${c.componentType}→${c.resultComponentType} ${c.M}x${c.N}x${c.K}`);
  console.log(
    JSON.stringify({
      options,
      adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' / '),
      software: info.isFallbackAdapter === true,
      features: [...adapter.features].sort(),
      subgroupMatrixConfigs: matrices,
      limits: Object.fromEntries(LIMITS.map((name) => [name, adapter.limits[name]])),
    }),
  );
}
