/**
 * SGD with momentum and weight decay (PyTorch's formulation), masked: a pruned weight gets no
 * gradient, so its momentum stays zero, and it is re-zeroed after the update so it stays exactly 0.
 * On a backend that registers the fused kernel (rewind-native) each parameter is one native pass;
 * elsewhere the same formula runs as tfjs ops.
 */
import { MASKED_SGD_KERNEL, type MaskedSgdAttrs } from './kernel-contract.ts';
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
  const fused = tf.getKernel(MASKED_SGD_KERNEL, tf.getBackend()) !== undefined;
  tf.tidy(() => {
    slots.forEach((slot, i) => {
      const [param, buf] = fused ? fusedUpdate(slot, grads[i]!, step) : opsUpdate(slot, grads[i]!, step);
      slot.momentum.assign(buf);
      slot.param.assign(param);
    });
  });
}

function fusedUpdate(slot: SgdSlot, grad: tf.Tensor, step: SgdStep): [tf.Tensor, tf.Tensor] {
  const inputs: tf.NamedTensorMap = { param: slot.param, grad, momentum: slot.momentum };
  if (slot.mask) inputs.mask = slot.mask;
  const attrs: MaskedSgdAttrs = { lr: step.lr, momentum: step.momentum, weightDecay: step.weightDecay };
  const [param, buf] = tf.engine().runKernel(MASKED_SGD_KERNEL, inputs, attrs) as tf.Tensor[];
  return [param!, buf!];
}

function opsUpdate(slot: SgdSlot, grad: tf.Tensor, step: SgdStep): [tf.Tensor, tf.Tensor] {
  let g = grad;
  if (step.weightDecay !== 0) g = tf.add(g, tf.mul(slot.param, step.weightDecay));
  if (slot.mask) g = tf.mul(g, slot.mask);
  const buf = step.momentum !== 0 ? tf.add(tf.mul(slot.momentum, step.momentum), g) : g;
  let next = tf.sub(slot.param, tf.mul(buf, step.lr));
  if (slot.mask) next = tf.mul(next, slot.mask);
  return [next, buf];
}
