/** Masks over prunable layers: creation, counting, application. */
import type { Mask, MaskTensor, TensorSet } from './tensors.ts';

/** Every prunable weight alive. */
export function fullMask(params: TensorSet, prunable: readonly string[]): Mask {
  const mask: Record<string, MaskTensor> = {};
  for (const name of prunable) {
    const p = params[name];
    if (!p) throw new Error(`prunable layer ${name} is not among the parameters`);
    mask[name] = { shape: [...p.shape], data: new Uint8Array(p.data.length).fill(1) };
  }
  return mask;
}

export function countAlive(mask: Mask): { alive: number; total: number } {
  let alive = 0;
  let total = 0;
  for (const t of Object.values(mask)) {
    total += t.data.length;
    for (let i = 0; i < t.data.length; i++) alive += t.data[i]!;
  }
  return { alive, total };
}

export function fractionRemaining(mask: Mask): number {
  const { alive, total } = countAlive(mask);
  return total === 0 ? 1 : alive / total;
}

/** Zeroes pruned weights of `params`, in place. */
export function applyMaskInPlace(params: TensorSet, mask: Mask): void {
  for (const [name, m] of Object.entries(mask)) {
    const p = params[name];
    if (!p) throw new Error(`mask layer ${name} is not among the parameters`);
    if (p.data.length !== m.data.length) throw new Error(`mask layer ${name} has ${m.data.length} entries, weights ${p.data.length}`);
    const w = p.data;
    const keep = m.data;
    for (let i = 0; i < w.length; i++) if (keep[i] === 0) w[i] = 0;
  }
}
