import type { HostTensor, Mask, TensorSet, TrainState } from '@rewind/core';

/** What a forward pass needs: the point on the path that gets evaluated. */
export type NetworkWeights = Pick<TrainState, 'params' | 'buffers'>;

/** The 2020 paper evaluates 30 evenly spaced points on the path between two trained copies. */
export const DEFAULT_ALPHA_POINTS = 30;

/** `n` evenly spaced interpolation coefficients from 0 to 1 inclusive; both ends are exact. */
export function alphaGrid(n: number = DEFAULT_ALPHA_POINTS): number[] {
  if (!Number.isInteger(n) || n < 2) throw new Error(`alphaGrid needs an integer n >= 2, got ${n}`);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? 1 : i / (n - 1)));
}

function interpolateTensor(name: string, a: HostTensor, b: HostTensor, alpha: number, mask: Mask | undefined) {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`tensor "${name}" has shape [${a.shape}] at one end and [${b.shape}] at the other`);
  }
  const keep = mask?.[name];
  if (keep !== undefined && keep.data.length !== a.data.length) {
    throw new Error(`mask for "${name}" has ${keep.data.length} entries, the tensor has ${a.data.length}`);
  }
  // The endpoints are copied rather than computed so that α=0 and α=1 reproduce the inputs bit for bit
  // (1·x + 0·y is not x when y is ±∞ or NaN, and turns −0 into +0).
  let data: Float32Array;
  if (alpha === 0) data = a.data.slice();
  else if (alpha === 1) data = b.data.slice();
  else {
    data = new Float32Array(a.data.length);
    for (let i = 0; i < data.length; i++) data[i] = (1 - alpha) * a.data[i]! + alpha * b.data[i]!;
  }
  // The path runs inside the subnetwork: a pruned weight is zero everywhere on it.
  if (keep !== undefined) for (let i = 0; i < data.length; i++) if (keep.data[i] === 0) data[i] = 0;
  return { shape: [...a.shape], data };
}

/**
 * (1−α)·first + α·second, tensor by tensor, with weights pruned by `mask` held at zero.
 * Both sets must hold the same names and shapes; the result keeps the first set's key order.
 */
export function interpolate(first: TensorSet, second: TensorSet, alpha: number, mask?: Mask): TensorSet {
  if (!Number.isFinite(alpha)) throw new Error(`alpha must be finite, got ${alpha}`);
  const missing = Object.keys(second).filter((name) => !(name in first));
  if (missing.length > 0) throw new Error(`tensors only in the second set: ${missing.join(', ')}`);
  const out: Record<string, HostTensor> = {};
  for (const [name, a] of Object.entries(first)) {
    const b = second[name];
    if (b === undefined) throw new Error(`tensor "${name}" is missing from the second set`);
    out[name] = interpolateTensor(name, a, b, alpha, mask);
  }
  return out;
}

/** Interpolates parameters and buffers together (batch-norm running statistics move along the path too). */
export function interpolateNetwork(
  first: NetworkWeights,
  second: NetworkWeights,
  alpha: number,
  mask?: Mask,
): NetworkWeights {
  return {
    params: interpolate(first.params, second.params, alpha, mask),
    // Masks name parameters only; buffers are never pruned.
    buffers: interpolate(first.buffers, second.buffers, alpha),
  };
}
