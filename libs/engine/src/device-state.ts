/**
 * The training state while it lives on the device: parameters and momentum as variables the
 * optimizer updates in place, BN running statistics as non-trainable variables, masks as 0/1 floats.
 */
import type { HostTensor, Mask, TensorSet, TrainState } from '@rewind/core';
import * as tf from '@tensorflow/tfjs-core';
import { toDevice, toHost } from './host.ts';
import type { SgdSlot } from './optimizer.ts';

export class DeviceState {
  private constructor(
    readonly params: Readonly<Record<string, tf.Variable>>,
    readonly momentum: Readonly<Record<string, tf.Variable>>,
    readonly buffers: Readonly<Record<string, tf.Variable>>,
    private readonly masks: Readonly<Record<string, tf.Tensor>>,
    /** Momentum was empty at the start (step 0) and no step has been taken yet. */
    private momentumUnset: boolean,
  ) {}

  /** Uploads `start`, zeroing pruned weights first so they are exactly 0 from the first step. */
  static upload(start: TrainState, mask: Mask | undefined): DeviceState {
    const params: Record<string, tf.Variable> = {};
    const momentum: Record<string, tf.Variable> = {};
    const buffers: Record<string, tf.Variable> = {};
    const masks: Record<string, tf.Tensor> = {};
    const momentumUnset = Object.keys(start.momentum).length === 0;
    for (const [name, t] of Object.entries(start.params)) {
      const layerMask = mask?.[name];
      params[name] = variableOf(toDevice(layerMask ? applyMask(t, layerMask.data) : t), true);
      const m = start.momentum[name];
      momentum[name] = variableOf(m ? toDevice(m) : tf.zeros([...t.shape]), false);
      if (layerMask) masks[name] = tf.tensor(Float32Array.from(layerMask.data), [...layerMask.shape]);
    }
    for (const [name, t] of Object.entries(start.buffers)) buffers[name] = variableOf(toDevice(t), false);
    return new DeviceState(params, momentum, buffers, masks, momentumUnset);
  }

  /** Optimizer slots in parameter order; index i matches `trainable[i]`. */
  slots(): SgdSlot[] {
    return Object.entries(this.params).map(([name, param]) => {
      const mask = this.masks[name];
      return mask ? { param, momentum: this.momentum[name]!, mask } : { param, momentum: this.momentum[name]! };
    });
  }

  get trainable(): tf.Variable[] {
    return Object.values(this.params);
  }

  /** Every tensor of the state, in a fixed order: what a step reads and updates in place. */
  tensors(): tf.Tensor[] {
    return [...Object.values(this.params), ...Object.values(this.momentum), ...Object.values(this.buffers), ...Object.values(this.masks)];
  }

  /** Takes ownership of `updated` (new running statistics) and disposes it after copying. */
  replaceBuffers(updated: Record<string, tf.Tensor>): void {
    for (const [name, t] of Object.entries(updated)) {
      const buffer = this.buffers[name];
      if (!buffer) throw new Error(`model produced unknown buffer ${name}`);
      buffer.assign(t);
      t.dispose();
    }
  }

  markStepped(): void {
    this.momentumUnset = false;
  }

  /** Host copy of the state after `step` iterations. */
  async toHost(step: number): Promise<TrainState> {
    return {
      step,
      params: await downloadAll(this.params),
      buffers: await downloadAll(this.buffers),
      momentum: this.momentumUnset ? {} : await downloadAll(this.momentum),
    };
  }

  dispose(): void {
    tf.dispose(this.tensors());
  }
}

/** A variable holding `initial`'s data; `initial` itself is released so tensor counts stay flat. */
function variableOf(initial: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(initial, trainable);
  initial.dispose();
  return v;
}

function applyMask(t: HostTensor, keep: Uint8Array): HostTensor {
  const data = t.data.slice();
  for (let i = 0; i < data.length; i++) if (keep[i] === 0) data[i] = 0;
  return { shape: t.shape, data };
}

async function downloadAll(set: Readonly<Record<string, tf.Tensor>>): Promise<TensorSet> {
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(set)) out[name] = await toHost(t);
  return out;
}
