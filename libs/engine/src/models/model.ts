/** What every architecture provides: a host-side initialiser and a functional forward pass. */
import type { ModelHparams, ModelName, TensorSet } from '@rewind/core';
import type * as tf from '@tensorflow/tfjs-core';

export type InputShape = readonly [height: number, width: number, channels: number];

/** Device tensors by parameter or buffer name. */
export type NamedTensors = Readonly<Record<string, tf.Tensor>>;

export interface ModelInit {
  readonly params: TensorSet;
  readonly buffers: TensorSet;
}

export interface ForwardResult {
  readonly logits: tf.Tensor2D;
  /** New batch-norm running statistics, present after a training-mode pass of a model with BN. */
  readonly updatedBuffers?: Record<string, tf.Tensor>;
}

export interface ModelDefinition {
  readonly name: ModelName;
  /** The input the architecture was designed for (other sizes work down to `minInputSize`). */
  readonly nominalInputShape: InputShape;
  /** Smallest height and width its downsampling leaves non-empty. */
  readonly minInputSize: number;
  /** Every conv and dense kernel, in forward order; biases and batch norm are never pruned. */
  readonly prunable: readonly string[];
  /** The output layer's kernel (a name in `prunable`), so specs can leave it unpruned. */
  readonly outputLayer: string;
  /** Kaiming-normal kernels, zero biases, BN scale 1 and offset 0; identical on every backend. */
  init(hp: ModelHparams, inputShape: InputShape, numClasses: number): ModelInit;
  forward(params: NamedTensors, buffers: NamedTensors, x: tf.Tensor4D, training: boolean): ForwardResult;
}
