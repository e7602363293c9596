/**
 * What bench/gpu.ts and bench/gpu-profile.ts share before any backend loads: the workloads (the
 * engine's models at the batch sizes IMP uses) and the `--kernels stock|rewind` switch. It imports
 * nothing at run time, so a script can set REWIND_WEBGPU_KERNELS here and only then import the
 * engine (bench/gpu-loop.ts) and start the backend.
 */
import type { ModelName } from '@rewind/core';
import type { InputShape } from '@rewind/engine';

export interface Workload {
  readonly id: string;
  readonly model: ModelName;
  readonly torchModel: string;
  readonly batch: number;
  readonly inputShape: InputShape;
  readonly numClasses: number;
  /** At most this many timed steps, whatever --steps says: a large model's step is long enough to time in fewer. */
  readonly maxSteps?: number;
}

const MNIST: InputShape = [28, 28, 1];
const IMAGENET: InputShape = [224, 224, 3];
export const WORKLOADS: readonly Workload[] = [
  { id: 'lenet-60', model: 'mnist_lenet_300_100', torchModel: 'lenet_300_100', batch: 60, inputShape: MNIST, numClasses: 10 },
  { id: 'lenet-1024', model: 'mnist_lenet_300_100', torchModel: 'lenet_300_100', batch: 1024, inputShape: MNIST, numClasses: 10 },
  { id: 'conv2-60', model: 'mnist_conv_2', torchModel: 'conv2', batch: 60, inputShape: MNIST, numClasses: 10 },
  { id: 'conv2-512', model: 'mnist_conv_2', torchModel: 'conv2', batch: 512, inputShape: MNIST, numClasses: 10 },
  { id: 'resnet20-128', model: 'cifar_resnet_20', torchModel: 'resnet20', batch: 128, inputShape: [32, 32, 3], numClasses: 10 },
  { id: 'resnet50-64', model: 'imagenet_resnet_50', torchModel: 'resnet50', batch: 64, inputShape: IMAGENET, numClasses: 1000, maxSteps: 20 },
  { id: 'resnet50-256', model: 'imagenet_resnet_50', torchModel: 'resnet50', batch: 256, inputShape: IMAGENET, numClasses: 1000, maxSteps: 10 },
];
export const ALL_WORKLOADS = WORKLOADS.map((w) => w.id).join(',');

export function chooseWorkloads(ids: string): Workload[] {
  return ids.split(',').map((id) => {
    const workload = WORKLOADS.find((w) => w.id === id);
    if (!workload) throw new Error(`unknown workload '${id}'; known: ${WORKLOADS.map((w) => w.id).join(', ')}`);
    return workload;
  });
}

/** The timed steps for `w` when --steps asks for `steps`. */
export const stepsFor = (w: Workload, steps: number): number => Math.min(steps, w.maxSteps ?? steps);

/** Backends that cannot train convolutions in useful time (cpu: minutes a step; wasm: no Conv2DBackpropFilter). */
const NO_CONV_TRAINING = new Set(['cpu', 'wasm']);

/** Why `backend` skips `w`, or undefined when it runs it. */
export function skipReason(backend: string, w: Workload): string | undefined {
  if (NO_CONV_TRAINING.has(backend) && w.model !== 'mnist_lenet_300_100') return `${backend} cannot train convolutions in useful time`;
  // A CPU fallback (no GPU adapter) would spend a device lease on ImageNet-sized steps of seconds each.
  if (backend !== 'webgpu' && w.inputShape[0] >= 224) return `${backend} (a CPU backend) cannot train 224x224 inputs in useful time`;
  return undefined;
}

export const KERNEL_SETS = ['stock', 'rewind'] as const;
export type KernelSet = (typeof KERNEL_SETS)[number];

/** The `--kernels` default: REWIND_WEBGPU_KERNELS when set, else the Rewind kernels (the engine's default). */
export const defaultKernels = (): string => process.env.REWIND_WEBGPU_KERNELS || 'rewind';

/**
 * Puts the kernel choice in REWIND_WEBGPU_KERNELS, which the webgpu backend reads when it starts
 * (`stock`: tfjs-backend-webgpu's own kernels only; `rewind`: Rewind's WGSL kernels on top). Call it
 * before importing bench/gpu-loop.ts. Other backends ignore it.
 */
export function applyKernels(value: string): KernelSet {
  if (!(KERNEL_SETS as readonly string[]).includes(value)) throw new Error(`--kernels must be one of ${KERNEL_SETS.join(', ')} (got '${value}')`);
  process.env.REWIND_WEBGPU_KERNELS = value;
  return value as KernelSet;
}

/** How a result line names the backend: the kernel set matters only on webgpu. */
export const backendLabel = (backend: string, kernels: string): string => (backend === 'webgpu' ? `webgpu/${kernels}` : backend);

export function positiveInt(name: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && (n > 0 || (allowZero && n === 0)))) {
    throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer (got ${value})`);
  }
  return n;
}
