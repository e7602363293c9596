/**
 * Per-layer sparsity of a ticket's mask, and how many surviving weights changed sign between the rewind
 * point W_k and the trained ticket (Zhou et al. 2019 found signs carry much of a ticket's information).
 */
import type { HostTensor, Mask, TensorSet } from '@rewind/core';

export interface LayerStats {
  readonly weights: number;
  /** Weights the mask keeps. */
  readonly surviving: number;
  /** 1 − surviving / weights. */
  readonly sparsity: number;
  /** Surviving weights with Math.sign(w_k) ≠ Math.sign(w_final): 0 is its own sign. */
  readonly signFlips: number;
  /** signFlips / surviving, 0 when nothing survives. */
  readonly signFlipFraction: number;
}

export interface TicketStats {
  /** The mask's layers, in the mask's order. */
  readonly perLayer: Readonly<Record<string, LayerStats>>;
  /** All of the mask's layers pooled. */
  readonly total: LayerStats;
}

function stats(weights: number, surviving: number, signFlips: number): LayerStats {
  return {
    weights,
    surviving,
    sparsity: weights === 0 ? 0 : 1 - surviving / weights,
    signFlips,
    signFlipFraction: surviving === 0 ? 0 : signFlips / surviving,
  };
}

function tensorOf(set: TensorSet, name: string, which: string, length: number): HostTensor {
  const t = set[name];
  if (t === undefined) throw new Error(`mask layer "${name}" is missing from the ${which} weights`);
  if (t.data.length !== length) throw new Error(`mask layer "${name}" has ${length} entries, the ${which} weights ${t.data.length}`);
  return t;
}

/** Sparsity and sign flips over every layer of `mask`; `rewind` is W_k, `final` the trained ticket. */
export function ticketStats(mask: Mask, rewind: TensorSet, final: TensorSet): TicketStats {
  const perLayer: Record<string, LayerStats> = {};
  let weights = 0;
  let surviving = 0;
  let flips = 0;
  for (const [name, m] of Object.entries(mask)) {
    const before = tensorOf(rewind, name, 'rewind', m.data.length).data;
    const after = tensorOf(final, name, 'final', m.data.length).data;
    let alive = 0;
    let flipped = 0;
    for (let i = 0; i < m.data.length; i++) {
      if (m.data[i] === 0) continue;
      alive++;
      if (Math.sign(before[i]!) !== Math.sign(after[i]!)) flipped++;
    }
    perLayer[name] = stats(m.data.length, alive, flipped);
    weights += m.data.length;
    surviving += alive;
    flips += flipped;
  }
  return { perLayer, total: stats(weights, surviving, flips) };
}
