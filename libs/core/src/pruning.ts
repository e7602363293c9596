/**
 * Pruning strategies behind one function, as open_lth's `Strategy.prune(hparams, model, mask)`:
 * trained weights + current mask + hparams → the next mask. Pure and deterministic.
 */
import { PRUNING_STRATEGIES, type PruningHparams, type PruningStrategyName } from './hparams.ts';
import { fullMask } from './mask.ts';
import { applyThreshold, type Candidates, selectThreshold } from './magnitude-select.ts';
import { rngFor } from './rng.ts';
import { SpecError } from './spec.ts';
import type { Mask, MaskTensor, TensorSet } from './tensors.ts';

export type PruningStrategy = (weights: TensorSet, mask: Mask, hparams: PruningHparams) => Mask;

/** Removes `fraction` of the alive weights (rounded up, as open_lth does) of the given layers together. */
function pruneTogether(weights: TensorSet, mask: Mask, layers: readonly string[], fraction: number): Record<string, MaskTensor> {
  const candidates: Candidates[] = layers.map((name) => ({ weights: weights[name]!.data, keep: mask[name]!.data }));
  let alive = 0;
  for (const c of candidates) for (let i = 0; i < c.keep.length; i++) alive += c.keep[i]!;
  const threshold = selectThreshold(candidates, Math.ceil(fraction * alive));
  const kept = applyThreshold(candidates, threshold);
  const out: Record<string, MaskTensor> = {};
  layers.forEach((name, i) => {
    out[name] = { shape: mask[name]!.shape, data: kept[i]! };
  });
  return out;
}

function prunableLayers(mask: Mask, hparams: PruningHparams): string[] {
  return Object.keys(mask).filter((name) => !hparams.excludedLayers.includes(name));
}

const globalMagnitude: PruningStrategy = (weights, mask, hparams) => ({
  ...mask,
  ...pruneTogether(weights, mask, prunableLayers(mask, hparams), hparams.fraction),
});

const layerwiseMagnitude: PruningStrategy = (weights, mask, hparams) => {
  const next: Record<string, MaskTensor> = { ...mask };
  for (const name of prunableLayers(mask, hparams)) Object.assign(next, pruneTogether(weights, mask, [name], hparams.fraction));
  return next;
};

export const STRATEGIES: Readonly<Record<PruningStrategyName, PruningStrategy>> = {
  global_magnitude: globalMagnitude,
  layerwise_magnitude: layerwiseMagnitude,
};

/**
 * The next mask. Without a current mask, every prunable weight starts alive. Excluded layers keep their
 * mask untouched; layers outside `prunable` are never in a mask.
 */
export function prune(weights: TensorSet, mask: Mask | undefined, hparams: PruningHparams, prunable: readonly string[]): Mask {
  checkExcludedLayers(hparams, prunable);
  const strategy = STRATEGIES[hparams.strategy];
  if (!strategy) throw new SpecError([{ field: 'pruning.strategy', message: `unknown ${hparams.strategy}; allowed values are ${PRUNING_STRATEGIES.join(', ')}` }]);
  return strategy(weights, mask ?? fullMask(weights, prunable), hparams);
}

/** Excluded layers must be prunable layers of the model; checked before any training starts. */
export function checkExcludedLayers(hparams: PruningHparams, prunable: readonly string[]): void {
  const unknown = hparams.excludedLayers.filter((name) => !prunable.includes(name));
  if (unknown.length > 0) {
    throw new SpecError([{ field: 'pruning.exclude', message: `${unknown.join(', ')} not a prunable layer of the model; allowed values are ${prunable.join(', ')}` }]);
  }
}

/**
 * The random-pruning control: in every layer, as many weights alive as in `reference`, at uniformly
 * random positions. Same layer-wise proportions, none of the magnitude information.
 */
export function randomLike(reference: Mask, seed: number): Mask {
  const out: Record<string, MaskTensor> = {};
  for (const [name, ref] of Object.entries(reference)) {
    const n = ref.data.length;
    let alive = 0;
    for (let i = 0; i < n; i++) alive += ref.data[i]!;
    const rng = rngFor(seed, 'random_pruning', name);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const keep = new Uint8Array(n);
    // Partial Fisher-Yates: the first `alive` slots of a random permutation survive.
    for (let i = 0; i < alive; i++) {
      const j = i + rng.int(n - i);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
      keep[order[i]!] = 1;
    }
    out[name] = { shape: ref.shape, data: keep };
  }
  return out;
}
