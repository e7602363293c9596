/**
 * The part of tfjs-backend-webgpu's WebGPUBackend that step recording and kernel tuning need and tfjs does not
 * publish: its queue, command encoder, buffer pool and tensor storage. The package is pinned
 * (package.json), and `webgpuInternals` checks the shape at start, so a tfjs upgrade that moves
 * these turns replay off with a reason instead of corrupting a run.
 */
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';

export interface TensorData {
  values: ArrayLike<number> | null;
  readonly dtype: DataType;
  readonly shape: number[];
  resource?: GPUBuffer | GPUTexture | GPUExternalTexture | null;
}

export interface BufferPool {
  acquireBuffer(size: number, usage: GPUBufferUsageFlags, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
}

export interface WebgpuInternals {
  device: GPUDevice;
  readonly queue: GPUQueue;
  readonly bufferManager: BufferPool;
  readonly tensorMap: { get(dataId: object): TensorData | undefined };
  commandEncoder: GPUCommandEncoder | null;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  getBufferData(buffer: GPUBuffer): Promise<ArrayBuffer>;
  makeTensorInfo(shape: number[], dtype: DataType): TensorInfo;
}

const METHODS = ['ensureCommandEncoderReady', 'endComputePassEncoder', 'submitQueue', 'uploadToGPU', 'getBufferData', 'makeTensorInfo'] as const;

/** The backend seen through its internals, or why it cannot be. */
export function webgpuInternals(backend: unknown): WebgpuInternals | string {
  const b = backend as Partial<Record<string, unknown>>;
  const missing: string[] = METHODS.filter((name) => typeof b[name] !== 'function');
  const pool = b.bufferManager as Partial<BufferPool> | undefined;
  if (typeof pool?.acquireBuffer !== 'function' || typeof pool.releaseBuffer !== 'function') missing.push('bufferManager.acquireBuffer/releaseBuffer');
  if (typeof (b.tensorMap as { get?: unknown } | undefined)?.get !== 'function') missing.push('tensorMap.get');
  if (!b.device || !b.queue || !('commandEncoder' in b)) missing.push('device, queue or commandEncoder');
  return missing.length ? `tfjs-backend-webgpu lacks ${missing.join(', ')} (another version than the pinned one?)` : (backend as WebgpuInternals);
}

/** Sends whatever tfjs has recorded but not submitted, so work queued after it runs after it. */
export function flush(b: WebgpuInternals): void {
  b.endComputePassEncoder();
  if (b.commandEncoder) b.submitQueue();
}

/** The GPU buffer behind a tensor, uploading it first if its values are still on the host. */
export function bufferOf(b: WebgpuInternals, dataId: object): GPUBuffer {
  b.uploadToGPU(dataId);
  const resource = b.tensorMap.get(dataId)?.resource;
  if (!(resource instanceof GPUBuffer)) throw new Error('tensor is not held in a GPU buffer (a texture?)');
  return resource;
}

/** Waits until the GPU has finished everything tfjs has queued so far. */
export async function idle(b: WebgpuInternals): Promise<void> {
  flush(b);
  await b.queue.onSubmittedWorkDone();
}

/** `run`'s result, or the first GPU error it caused (Dawn reports them asynchronously), caught here rather than failing the backend. */
export async function gpuErrorsOf<T>(b: WebgpuInternals, run: () => Promise<T>): Promise<{ value: T } | { error: string }> {
  const filters: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];
  for (const filter of filters) b.device.pushErrorScope(filter);
  let value: T | undefined;
  let thrown: unknown;
  try {
    value = await run();
  } catch (error) {
    thrown = error;
  }
  const errors = [];
  for (let i = 0; i < filters.length; i++) errors.push(await b.device.popErrorScope());
  const gpuError = errors.find((e) => e !== null);
  if (gpuError) return { error: gpuError.message.split('\n')[0]! };
  if (thrown !== undefined) throw thrown;
  return { value: value as T };
}
