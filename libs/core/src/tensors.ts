/** Host-side tensors: plain typed arrays, so domain logic never depends on a compute backend. */

export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A named, ordered set of tensors: parameters, buffers, optimizer state. Key order is significant. */
export type TensorSet = Readonly<Record<string, HostTensor>>;

export interface MaskTensor {
  readonly shape: readonly number[];
  /** 1 keeps the weight, 0 prunes it. */
  readonly data: Uint8Array;
}

/** One entry per prunable layer; layers absent from the mask are never pruned. */
export type Mask = Readonly<Record<string, MaskTensor>>;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function cloneTensorSet(set: TensorSet): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(set)) out[name] = { shape: [...t.shape], data: t.data.slice() };
  return out;
}

/** Everything that training needs to continue exactly where it stopped. */
export interface TrainState {
  /** Iterations already taken. */
  readonly step: number;
  /** Trainable parameters (kernels, biases, batch-norm scale and offset). */
  readonly params: TensorSet;
  /** Non-trainable state (batch-norm running statistics). */
  readonly buffers: TensorSet;
  /** SGD momentum, one per parameter; empty at step 0. */
  readonly momentum: TensorSet;
}

/** False when training diverged: any NaN or infinity in any tensor. */
export function allFinite(set: TensorSet): boolean {
  for (const t of Object.values(set)) {
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i]!)) return false;
  }
  return true;
}
