/**
 * SGD with momentum and weight decay (PyTorch's formulation), masked: a pruned weight gets no
 * gradient, so its momentum stays zero, and it is re-zeroed after the update so it stays exactly 0.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface SgdSlot {
  readonly param: tf.Variable;
  readonly momentum: tf.Variable;
  /** 1/0 float mask of the same shape, for prunable layers only. */
  readonly mask?: tf.Tensor;
}

export interface SgdStep {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
}

export function sgdStep(slots: readonly SgdSlot[], grads: readonly tf.Tensor[], step: SgdStep): void {
  tf.tidy(() => {
    slots.forEach((slot, i) => {
      let g = grads[i]!;
      if (step.weightDecay !== 0) g = tf.add(g, tf.mul(slot.param, step.weightDecay));
      if (slot.mask) g = tf.mul(g, slot.mask);
      const buf = step.momentum !== 0 ? tf.add(tf.mul(slot.momentum, step.momentum), g) : g;
      let next = tf.sub(slot.param, tf.mul(buf, step.lr));
      if (slot.mask) next = tf.mul(next, slot.mask);
      slot.momentum.assign(buf);
      slot.param.assign(next);
    });
  });
}
