/**
 * Records one webgpu training step while it runs through tfjs: the encoder tfjs uses is wrapped
 * (commands.ts), bind groups are watched for the buffers they bind, and buffers tfjs frees during
 * the step are held back from its pool when the commands use them, so no op outside the step can
 * take them (within the step, one may serve a later kernel result, as in tfjs's pool).
 *
 * A recording is refused, and the step stays a plain tfjs step, when replaying it could differ:
 * the step reads data back (a host decision), tfjs used a texture or a profiler, the commands touch
 * a buffer that is neither state, input, output nor held, or the state's old value is shared.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Recorded, StepBody, StepRecorder } from '@rewind/engine/backend-contract';
import { type CommandLog, recordingEncoder } from './commands.ts';
import { copyToNewTensor, type OwnedTensor, type StateCopy, WebgpuRecording } from './recording.ts';
import { bufferOf, flush, type WebgpuInternals, webgpuInternals } from '../internals.ts';

/** A recorder for `backend`, or why steps on it cannot be recorded. */
export function webgpuStepRecorder(backend: unknown): StepRecorder | string {
  const b = webgpuInternals(backend);
  return typeof b === 'string' ? b : (inputs, state, body) => record(b, inputs, state, body);
}

function record(b: WebgpuInternals, inputs: readonly tf.Tensor[], state: () => readonly tf.Tensor[], body: StepBody): Recorded {
  flush(b);
  // The step runs on its own copies of the inputs: the caller's tensors die after the step.
  const ownInputs = inputs.map((t) => ownedCopy(b, t));
  flush(b);
  const stateBefore = state().map((t) => bufferOf(b, t.dataId));

  const log: CommandLog = { commands: [], buffers: new Set() };
  const held = new Set<GPUBuffer>();
  const uninstall = install(b, log, held);
  let results: tf.Tensor[];
  try {
    try {
      results = body(ownInputs.map((o) => o.tensor)).map((t) => tf.keep(t));
      flush(b);
    } finally {
      uninstall();
    }
  } catch (error) {
    release(b, held);
    tf.dispose(ownInputs.map((o) => o.tensor));
    throw error;
  }

  const stateAfter = state().map((t) => t.dataId);
  const outputs = results.map((tensor) => ({ tensor, buffer: bufferOf(b, tensor.dataId) }));
  const afterBuffers = stateAfter.map((dataId) => bufferOf(b, dataId));
  const stateCopies: StateCopy[] = [];
  const stateWritten: tf.DataId[] = [];
  afterBuffers.forEach((from, i) => {
    const to = stateBefore[i];
    if (to && to !== from) {
      stateCopies.push({ from, to });
      stateWritten.push(stateAfter[i]!);
    }
  });
  const refused = log.unrepeatable ?? refusal(log, held, stateBefore, afterBuffers, ownInputs, outputs, stateCopies);
  if (refused) {
    release(b, held);
    tf.dispose(ownInputs.map((o) => o.tensor));
    return { outputs: results, refused };
  }
  // As at the end of every replay: the buffers the step reads from get the state it left.
  const encoder = b.device.createCommandEncoder();
  for (const { from, to } of stateCopies) encoder.copyBufferToBuffer(from, 0, to, 0, to.size);
  const copies = outputs.map((o) => copyToNewTensor(b, encoder, o));
  b.queue.submit([encoder.finish()]);
  const recording = new WebgpuRecording(b, { commands: log.commands, inputs: ownInputs, outputs, stateCopies, stateAfter, stateWritten, held }, state);
  return { outputs: copies, recording };
}

function refusal(
  log: CommandLog,
  held: ReadonlySet<GPUBuffer>,
  stateBefore: readonly GPUBuffer[],
  stateAfter: readonly GPUBuffer[],
  inputs: readonly OwnedTensor[],
  outputs: readonly OwnedTensor[],
  stateCopies: readonly StateCopy[],
): string | undefined {
  if (stateBefore.length !== stateAfter.length) return `the step changed the number of state tensors (${stateBefore.length} → ${stateAfter.length})`;
  const accounted = new Set([...held, ...stateBefore, ...stateAfter, ...inputs.map((o) => o.buffer), ...outputs.map((o) => o.buffer)]);
  const stray = [...log.buffers].filter((buffer) => !accounted.has(buffer)).length;
  if (stray > 0) return `the step uses ${stray} device buffer(s) that are neither state, input nor output`;
  // The old value's buffer gets the new value copied in: nothing else may still be reading it.
  if (stateCopies.some(({ to }) => !held.has(to))) return "a state tensor's old value is still in use after the step";
  if (log.commands.length === 0) return 'the step queued no GPU work';
  return undefined;
}

/** Hooks tfjs for the step; returns what undoes them. */
function install(b: WebgpuInternals, log: CommandLog, held: Set<GPUBuffer>): () => void {
  const device = b.device;
  const pool = b.bufferManager;
  const own = b as unknown as Record<string, unknown>;
  const ownPool = pool as unknown as Record<string, unknown>;

  const ensureEncoder = b.ensureCommandEncoderReady;
  const wrapped = new WeakSet<GPUCommandEncoder>();
  own.ensureCommandEncoderReady = () => {
    ensureEncoder.call(b);
    if (b.commandEncoder && !wrapped.has(b.commandEncoder)) {
      b.commandEncoder = recordingEncoder(b.commandEncoder, log);
      wrapped.add(b.commandEncoder);
    }
  };
  const getBufferData = b.getBufferData;
  own.getBufferData = (buffer: GPUBuffer) => {
    log.unrepeatable ??= 'the step reads device data back';
    return getBufferData.call(b, buffer);
  };
  // A buffer the step freed is reused later in the same step, as tfjs's pool would, but only if it
  // was taken for a kernel's result and is taken again for one: a replay recomputes those, while
  // uploaded constants, uniforms and the state's old buffers must keep their contents.
  const forResults = new Set<GPUBuffer>();
  const reusable = new Map<string, GPUBuffer[]>();
  const keyOf = (size: number, usage: number) => `${size}_${usage}`;
  const acquireBuffer = pool.acquireBuffer;
  ownPool.acquireBuffer = (size: number, usage: GPUBufferUsageFlags, mappedAtCreation = false, reuse = true) => {
    const forResult = !mappedAtCreation && reuse && (usage & GPUBufferUsage.STORAGE) !== 0 && (usage & GPUBufferUsage.UNIFORM) === 0;
    const freed = forResult ? reusable.get(keyOf(size, usage))?.pop() : undefined;
    if (freed) held.delete(freed);
    const buffer = freed ?? acquireBuffer.call(pool, size, usage, mappedAtCreation, reuse);
    if (forResult) forResults.add(buffer);
    return buffer;
  };
  const releaseBuffer = pool.releaseBuffer;
  ownPool.releaseBuffer = (buffer: GPUBuffer, reuse?: boolean) => {
    if (!log.buffers.has(buffer)) return releaseBuffer.call(pool, buffer, reuse);
    held.add(buffer);
    if (!forResults.has(buffer)) return;
    const key = keyOf(buffer.size, buffer.usage);
    const free = reusable.get(key);
    if (free) free.push(buffer);
    else reusable.set(key, [buffer]);
  };
  b.device = new Proxy(device, {
    get(target, property) {
      if (property === 'createBindGroup') {
        return (descriptor: GPUBindGroupDescriptor) => {
          for (const entry of descriptor.entries) noteBinding(entry.resource, log);
          return target.createBindGroup(descriptor);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

  return () => {
    b.device = device;
    delete own.ensureCommandEncoderReady;
    delete own.getBufferData;
    delete ownPool.acquireBuffer;
    delete ownPool.releaseBuffer;
  };
}

function noteBinding(resource: GPUBindingResource, log: CommandLog): void {
  const buffer = resource instanceof GPUBuffer ? resource : (resource as Partial<GPUBufferBinding>).buffer;
  if (buffer instanceof GPUBuffer) log.buffers.add(buffer);
  else log.unrepeatable ??= 'a bind group binds a texture or sampler';
}

/** The step's own copy of `t`, in a buffer of its own. */
function ownedCopy(b: WebgpuInternals, t: tf.Tensor): OwnedTensor {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`step inputs must be float32 or int32 (got ${t.dtype})`);
  const source = bufferOf(b, t.dataId);
  const info = b.makeTensorInfo([...t.shape], t.dtype);
  const buffer = bufferOf(b, info.dataId);
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.commandEncoder!.copyBufferToBuffer(source, 0, buffer, 0, source.size);
  return { tensor: tf.keep(tf.engine().makeTensorFromTensorInfo(info)), buffer };
}

function release(b: WebgpuInternals, buffers: Iterable<GPUBuffer>): void {
  for (const buffer of buffers) b.bufferManager.releaseBuffer(buffer);
}
