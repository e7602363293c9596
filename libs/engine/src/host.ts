/** Copies between host tensors (what callers hold) and device tensors (what tfjs computes on). */
import type { HostTensor } from '@rewind/core';
import * as tf from '@tensorflow/tfjs-core';

export function toDevice(t: HostTensor): tf.Tensor {
  return tf.tensor(t.data, [...t.shape], 'float32');
}

/**
 * A copy: backends may hand out their own storage, which later ops would overwrite. Asynchronous, since
 * GPU backends (webgpu in Node) cannot read synchronously.
 */
export async function toHost(t: tf.Tensor): Promise<HostTensor> {
  return { shape: [...t.shape], data: ((await t.data()) as Float32Array).slice() };
}
