/**
 * Random pruning (Frankle & Carbin 2019): the ticket's per-layer counts of surviving weights, chosen at
 * random, rewound to the same W_k. A ticket that beats it owes its accuracy to which weights survive.
 */
import type { ControlKind } from '../kind.ts';

export const randomPruning: ControlKind = {
  name: 'random_pruning',
  async branch({ rewindId, seed, prune }) {
    return { start: { checkpointId: rewindId }, maskId: await prune({ kind: 'random_like', seed }) };
  },
};
