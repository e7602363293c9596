/**
 * A recorded webgpu step, replayed without tfjs: the batch is copied (or written from the host)
 * into the step's own input buffers, the recorded dispatches and copies are encoded into one
 * command buffer, the state's new values are copied back over the buffers the step reads them
 * from, and the outputs are copied into fresh tensors. One submit; nothing read back.
 *
 * Why the copy back: a step reads parameter p from buffer A and tfjs writes the new p to a new
 * buffer B (the variable now points at B). Replayed, the step would read A again; copying B over A
 * at the end makes A hold the current value for the next replay, while the variable keeps
 * pointing at B, which the replay keeps writing.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DispatchTime, Recording } from '@rewind/engine/backend-contract';
import { type Command, encodeCommands } from './commands.ts';
import { timeDispatches } from './dispatch-timing.ts';
import { bufferOf, flush, type WebgpuInternals } from '../internals.ts';

export interface OwnedTensor {
  readonly tensor: tf.Tensor;
  readonly buffer: GPUBuffer;
}

export interface StateCopy {
  /** Where the step writes the new value (the tensor's buffer after the step). */
  readonly from: GPUBuffer;
  /** Where the step reads it (the buffer before the step). */
  readonly to: GPUBuffer;
}

export interface RecordingParts {
  readonly commands: readonly Command[];
  /** The step's own input tensors, which each replay refills. */
  readonly inputs: readonly OwnedTensor[];
  /** The step's outputs as recorded; each replay writes them again, and hands out copies. */
  readonly outputs: readonly OwnedTensor[];
  readonly stateCopies: readonly StateCopy[];
  /** The data ids of the state right after recording; a replay applies only while they are still the state's. */
  readonly stateAfter: readonly tf.DataId[];
  /** Those of them the step writes: after each replay their values are new under the same data id. */
  readonly stateWritten: readonly tf.DataId[];
  /** Buffers tfjs released during the step that the commands use: held here, out of tfjs's pool. */
  readonly held: ReadonlySet<GPUBuffer>;
}

export class WebgpuRecording implements Recording {
  readonly summary: string;
  private disposed = false;

  constructor(
    private readonly b: WebgpuInternals,
    private readonly parts: RecordingParts,
    private readonly state: () => readonly tf.Tensor[],
  ) {
    const dispatches = parts.commands.filter((c) => c.kind === 'dispatch').length;
    const copies = parts.inputs.length + parts.commands.length - dispatches + parts.stateCopies.length + parts.outputs.length;
    this.summary = `${dispatches} dispatches and ${copies} buffer copies in one submit`;
  }

  replay(inputs: readonly tf.Tensor[]): tf.Tensor[] | undefined {
    if (this.disposed || !this.applies(inputs)) return undefined;
    const { b, parts } = this;
    // Work tfjs has queued (the batch's gather) must reach the GPU before this command buffer.
    flush(b);
    const encoder = b.device.createCommandEncoder();
    inputs.forEach((t, i) => {
      const own = parts.inputs[i]!.buffer;
      const data = b.tensorMap.get(t.dataId);
      if (data?.resource instanceof GPUBuffer) encoder.copyBufferToBuffer(data.resource, 0, own, 0, own.size);
      else if (data?.values) b.queue.writeBuffer(own, 0, gpuArray(data.values, t.dtype));
      else throw new Error(`step input ${i} has neither device nor host data`);
    });
    encodeCommands(encoder, parts.commands);
    for (const { from, to } of parts.stateCopies) encoder.copyBufferToBuffer(from, 0, to, 0, to.size);
    const outputs = parts.outputs.map((o) => copyToNewTensor(b, encoder, o));
    b.queue.submit([encoder.finish()]);
    forgetHostCopies(b, parts.stateWritten);
    return outputs;
  }

  timeDispatches(repeats: number): Promise<DispatchTime[]> {
    flush(this.b);
    return timeDispatches(this.b, this.parts.commands, repeats);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Back to tfjs's pool: work still queued on them runs before anything tfjs queues later.
    for (const buffer of this.parts.held) this.b.bufferManager.releaseBuffer(buffer);
    tf.dispose([...this.parts.inputs.map((o) => o.tensor), ...this.parts.outputs.map((o) => o.tensor)]);
  }

  private applies(inputs: readonly tf.Tensor[]): boolean {
    const { parts } = this;
    const sameInputs =
      inputs.length === parts.inputs.length &&
      inputs.every((t, i) => {
        const own = parts.inputs[i]!.tensor;
        return t.dtype === own.dtype && tf.util.arraysEqual(t.shape, own.shape);
      });
    const state = this.state();
    return sameInputs && state.length === parts.stateAfter.length && state.every((t, i) => !t.isDisposed && t.dataId === parts.stateAfter[i]);
  }
}

/**
 * tfjs keeps the values it read back on the host beside the buffer and answers later reads from
 * them: right for a tensor whose buffer never changes, which is what tfjs assumes. A replay writes
 * new state into the same buffers, so those copies go, and the next read (a checkpoint) asks the GPU.
 */
export function forgetHostCopies(b: WebgpuInternals, dataIds: readonly tf.DataId[]): void {
  for (const dataId of dataIds) {
    const data = b.tensorMap.get(dataId);
    if (data) data.values = null;
  }
}

/** A new tensor of `source`'s shape whose buffer `encoder` fills from `source`'s buffer. */
export function copyToNewTensor(b: WebgpuInternals, encoder: GPUCommandEncoder, source: OwnedTensor): tf.Tensor {
  const info = b.makeTensorInfo([...source.tensor.shape], source.tensor.dtype);
  encoder.copyBufferToBuffer(source.buffer, 0, bufferOf(b, info.dataId), 0, source.buffer.size);
  return tf.engine().makeTensorFromTensorInfo(info);
}

function gpuArray(values: ArrayLike<number>, dtype: tf.DataType): Float32Array | Int32Array {
  if (dtype === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values);
  return values instanceof Int32Array ? values : Int32Array.from(values);
}
