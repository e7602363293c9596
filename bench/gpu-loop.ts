/**
 * What bench/gpu.ts, bench/gpu-profile.ts and bench/gpu-train-check.ts share: starting the GPU
 * backend (or saying why not and using the best CPU one), and a plain masked-SGD step on the
 * engine's functional models that keeps everything on the device: the batch is uploaded once and
 * reused, labels are one-hot once, weights, momenta and masks live in device tensors, and a step
 * reads nothing back. Only the caller decides when to wait for the device (one readback).
 */
import type { ModelName } from '@rewind/core';
import {
  getModel,
  type InputShape,
  initBackend,
  type ModelDefinition,
  meanSoftmaxCrossEntropy,
  type Recording,
  type SgdSlot,
  StepRunner,
  sgdStep,
  throwIfBackendFailed,
  tuneKernels,
} from '@rewind/engine';
import * as tf from '@tensorflow/tfjs-core';

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
  /**
   * One masked-SGD step on a batch already on the device (`y` one-hot). Only queues work: the
   * returned loss is still on the device, and the caller disposes it (reading it waits for the step).
   */
  step(x: tf.Tensor4D, y: tf.Tensor2D): tf.Scalar;
  /** Whether steps are replayed from a recording (StepRunner) rather than run through tfjs each time. */
  readonly replays: boolean;
  /** The recording steps are replayed from, once there is one. */
  readonly recording: Recording | undefined;
  dispose(): void;
}

/** `replay` off runs every step through tfjs; on replays them where the backend records steps (not with REWIND_STEP_REPLAY=off). */
export function maskedSgd(name: ModelName, inputShape: InputShape, numClasses: number, initSeed = 0, replay: 'on' | 'off' = 'on'): MaskedSgd {
  const model = getModel(name);
  const init = model.init({ name, width: 1, initSeed }, inputShape, numClasses);
  const params: Record<string, tf.Variable> = {};
  for (const [key, t] of Object.entries(init.params)) params[key] = tf.variable(tf.tensor(t.data, [...t.shape]), true, key);
  const buffers: Record<string, tf.Tensor> = {};
  for (const [key, t] of Object.entries(init.buffers)) buffers[key] = tf.tensor(t.data, [...t.shape]);
  // Half of every prunable layer kept, as in an IMP round (masked steps cost the same at any density).
  // Built on the host like the engine's masks, from a multiplicative hash's top bit: a plain i % 2
  // would cut whole columns, i.e. kill every other unit and class. Uploaded once, here.
  const slots: SgdSlot[] = Object.entries(params).map(([key, param]) => ({
    param,
    momentum: tf.variable(tf.zerosLike(param), false),
    ...(model.prunable.includes(key) ? { mask: tf.tensor(Float32Array.from({ length: param.size }, (_, i) => Math.imul(i + 1, 0x9e3779b1) >>> 31), param.shape) } : {}),
  }));
  for (const { param, mask } of slots) if (mask) param.assign(tf.tidy(() => tf.mul(param, mask)));
  const trainable = Object.values(params);

  const body = ([x, y]: readonly tf.Tensor[]): tf.Tensor[] => {
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(params, buffers, x as tf.Tensor4D, true);
      if (out.updatedBuffers) {
        for (const [key, t] of Object.entries(out.updatedBuffers)) {
          buffers[key]?.dispose();
          buffers[key] = tf.keep(t);
        }
      }
      return meanSoftmaxCrossEntropy(y as tf.Tensor2D, out.logits);
    }, trainable);
    const ordered = trainable.map((v) => grads[v.name]!);
    sgdStep(slots, ordered, SGD);
    tf.dispose(ordered);
    return [value];
  };
  const runner = new StepRunner(() => [...slots.flatMap((s) => (s.mask ? [s.param, s.momentum, s.mask] : [s.param, s.momentum])), ...Object.values(buffers)], replay);

  return {
    model,
    params,
    buffers,
    replays: runner.replays,
    get recording() {
      return runner.recording;
    },
    step(x, y) {
      return runner.run(`${x.shape}`, [x, y], body)[0] as tf.Scalar;
    },
    dispose() {
      runner.dispose();
      tf.dispose([...trainable, ...Object.values(buffers), ...slots.flatMap((s) => (s.mask ? [s.momentum, s.mask] : [s.momentum]))]);
    },
  };
}

export interface DeviceBatch {
  readonly x: tf.Tensor4D;
  /** One-hot labels. */
  readonly y: tf.Tensor2D;
}

/** A fixed synthetic batch, uploaded once: throughput does not depend on the pixel values. */
export function syntheticBatch(batch: number, inputShape: InputShape, numClasses: number): DeviceBatch {
  const [h, w, c] = inputShape;
  const images = Float32Array.from({ length: batch * h * w * c }, (_, i) => Math.sin(i));
  const labels = Int32Array.from({ length: batch }, (_, i) => i % numClasses);
  return { x: tf.tensor4d(images, [batch, h, w, c]), y: tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses) as tf.Tensor2D) };
}

let probe: tf.Tensor | undefined;

/**
 * Waits until the device has finished all work queued so far: one small readback of a value the
 * device computes now. (A freshly uploaded tensor would not do: the webgpu backend reads it from its
 * host copy at once, and it runs tiny all-host ops on the CPU; 4096 values stay on the GPU.)
 */
export async function drain(): Promise<void> {
  probe ??= tf.keep(tf.fill([4096], 1));
  const t = tf.tidy(() => tf.add(probe!, 1));
  await t.data();
  t.dispose();
}

export interface Timing {
  readonly msPerStep: number;
  /**
   * Host time to queue a step (the loop before its final readback). Close to msPerStep: the host
   * (JS, tfjs, dawn.node) is the bottleneck; well below it: the GPU is.
   */
  readonly enqueueMsPerStep: number;
  /** The last timed step's loss, read once after the clock stopped. */
  readonly lastLoss: number;
}

/**
 * `warmup` then `steps` steps on one device batch, kernels tuned during the warm-up (where the
 * backend tunes). The device is drained before the clock starts;
 * the timed loop queues steps without reading anything and ends with one readback, of the last loss,
 * which waits for the device to finish every queued step before the clock stops.
 */
export async function timeSteps(trainer: MaskedSgd, batch: DeviceBatch, warmup: number, steps: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) {
    trainer.step(batch.x, batch.y).dispose();
    // As train() does: after the first step, the kernels it launched are tuned before the step is recorded.
    await tuneKernels();
  }
  await drain();
  const start = performance.now();
  let loss: tf.Scalar | undefined;
  for (let i = 0; i < steps; i++) {
    loss?.dispose();
    loss = trainer.step(batch.x, batch.y);
  }
  const enqueueMsPerStep = (performance.now() - start) / steps;
  const [lastLoss] = loss ? await loss.data() : [Number.NaN];
  const msPerStep = (performance.now() - start) / steps;
  loss?.dispose();
  // A kernel the device rejected (a shader that failed to compile) leaves no NaN to see: ask.
  throwIfBackendFailed();
  return { msPerStep, enqueueMsPerStep, lastLoss: lastLoss! };
}
