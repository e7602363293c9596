/**
 * What bench/gpu.ts and bench/gpu-train-check.ts share: starting the GPU backend (or saying why
 * not and using the best CPU one), and a plain masked-SGD step on the engine's functional models,
 * shaped like the engine's `train` (host batch uploaded each step, loss read back each step).
 */
import type { ModelName } from '@rewind/core';
import { getModel, type InputShape, type ModelDefinition } from '@rewind/engine';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../libs/engine/src/backends/index.ts';
import { type SgdSlot, sgdStep } from '../libs/engine/src/optimizer.ts';

export const SGD = { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 };

export interface Started {
  readonly backend: string;
  /** Set when the GPU backend could not start: why, so results are read as CPU figures. */
  readonly note?: string;
}

/** `webgpu` unless `requested` names another; without a GPU, auto selection with a note. */
export async function startBackend(requested = process.env.REWIND_BACKEND || 'webgpu'): Promise<Started> {
  try {
    return { backend: (await initBackend(requested)).name };
  } catch (error) {
    if (requested !== 'webgpu') throw error;
    const why = error instanceof Error ? error.message : String(error);
    const { name } = await initBackend('auto');
    return { backend: name, note: `no GPU backend here, these are ${name} (CPU) figures: ${why}` };
  }
}

export interface MaskedSgd {
  readonly model: ModelDefinition;
  readonly params: Record<string, tf.Variable>;
  readonly buffers: Record<string, tf.Tensor>;
  /** One step on a host batch; resolves to its loss once the device has finished it. */
  step(images: Float32Array, labels: Int32Array): Promise<number>;
  dispose(): void;
}

export function maskedSgd(name: ModelName, inputShape: InputShape, numClasses: number, initSeed = 0): MaskedSgd {
  const model = getModel(name);
  const init = model.init({ name, width: 1, initSeed }, inputShape, numClasses);
  const params: Record<string, tf.Variable> = {};
  for (const [key, t] of Object.entries(init.params)) params[key] = tf.variable(tf.tensor(t.data, [...t.shape]), true, key);
  const buffers: Record<string, tf.Tensor> = {};
  for (const [key, t] of Object.entries(init.buffers)) buffers[key] = tf.tensor(t.data, [...t.shape]);
  // Half of every prunable layer kept, as in an IMP round (masked steps cost the same at any density).
  // Built on the host like the engine's masks, from a multiplicative hash's top bit: a plain i % 2
  // would cut whole columns, i.e. kill every other unit and class.
  const slots: SgdSlot[] = Object.entries(params).map(([key, param]) => ({
    param,
    momentum: tf.variable(tf.zerosLike(param), false),
    ...(model.prunable.includes(key) ? { mask: tf.tensor(Float32Array.from({ length: param.size }, (_, i) => Math.imul(i + 1, 0x9e3779b1) >>> 31), param.shape) } : {}),
  }));
  for (const { param, mask } of slots) if (mask) param.assign(tf.tidy(() => tf.mul(param, mask)));
  const trainable = Object.values(params);
  const [h, w, c] = inputShape;

  return {
    model,
    params,
    buffers,
    async step(images, labels) {
      const { value, grads } = tf.tidy(() => {
        const x = tf.tensor4d(images, [labels.length, h, w, c]);
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses);
        return tf.variableGrads(() => {
          const out = model.forward(params, buffers, x, true);
          if (out.updatedBuffers) {
            for (const [key, t] of Object.entries(out.updatedBuffers)) {
              buffers[key]?.dispose();
              buffers[key] = tf.keep(t);
            }
          }
          return tf.losses.softmaxCrossEntropy(y, out.logits) as tf.Scalar;
        }, trainable);
      });
      const ordered = trainable.map((v) => grads[v.name]!);
      sgdStep(slots, ordered, SGD);
      tf.dispose(ordered);
      // Async read: the webgpu backend in Node has no synchronous readback (it needs OffscreenCanvas).
      const [loss] = await value.data();
      value.dispose();
      return loss!;
    },
    dispose() {
      tf.dispose([...trainable, ...Object.values(buffers), ...slots.flatMap((s) => (s.mask ? [s.momentum, s.mask] : [s.momentum]))]);
    },
  };
}
