/**
 * The training loss: mean softmax cross-entropy over the batch, as tf.losses.softmaxCrossEntropy.
 * A backend that registers the fused kernels (webgpu) computes it in one pass and its gradient in
 * another, instead of about twenty small tfjs ops whose launches dominate a small model's step on a
 * GPU; elsewhere tfjs's own composition runs, unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Inputs: logits [N, C], labels [N, C] (one-hot or soft). Output: [1], the mean loss. */
export const SOFTMAX_XENT_KERNEL = 'RewindSoftmaxXent';
/** Inputs: logits, labels, dy [1]. Output: d(mean loss)/d(logits) · dy, [N, C]. */
export const SOFTMAX_XENT_GRAD_KERNEL = 'RewindSoftmaxXentGrad';

export function meanSoftmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  if (tf.getKernel(SOFTMAX_XENT_KERNEL, tf.getBackend()) === undefined) return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  // Labels are closed over rather than passed: they need no gradient.
  const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    const value = tf.reshape(tf.engine().runKernel(SOFTMAX_XENT_KERNEL, { logits: x, labels }) as tf.Tensor, []) as tf.Scalar;
    const gradFunc = (dy: tf.Tensor, [saved]: tf.Tensor[]) =>
      tf.engine().runKernel(SOFTMAX_XENT_GRAD_KERNEL, { logits: saved!, labels, dy: tf.reshape(dy, [1]) }) as tf.Tensor;
    return { value, gradFunc };
  });
  return fused(logits) as tf.Scalar;
}
