/**
 * Sweep planning: from a spec, the experiments to run and how they depend on each other.
 * One dense trunk per seed saves W_k at every rewind point; one IMP chain per (trunk, k) prunes and
 * rewinds round after round; controls and data-order copies branch off each round.
 */
import { iterationsPerEpoch as perEpoch, toIterations } from './duration.ts';
import { experimentId } from './hash.ts';
import { type ModelHparams, type TrainingHparams, trainSetSize } from './hparams.ts';
import { rngFor } from './rng.ts';
import type { ResultRow } from './results.ts';
import { SpecError, type SweepSpec } from './spec.ts';

/** `ticket`, or the name of a control kind (@rewind/kinds). */
export type BranchKind = string;

export interface TrunkPlan {
  readonly id: string;
  readonly seed: number;
  readonly model: ModelHparams;
  readonly training: TrainingHparams;
  /** Rewind points in iterations, ascending, without duplicates. */
  readonly rewindSteps: readonly number[];
}

export interface BranchPlan {
  readonly id: string;
  readonly trunkId: string;
  readonly kind: BranchKind;
  readonly rewindStep: number;
  /** 0 is the dense network (no pruning); round r has 0.8^r of the weights at the default rate. */
  readonly round: number;
  /** 0 trains on the spec's data order; copies ≥ 1 on other orders, for stability analyses. */
  readonly copy: number;
  readonly training: TrainingHparams;
  /** Seed of the control's randomness (random mask or fresh initialisation). */
  readonly controlSeed?: number;
}

export interface RoundPlan {
  readonly round: number;
  /** Round 0's ticket is the trunk itself, so it has no branch of its own. */
  readonly ticket?: BranchPlan;
  readonly controls: readonly BranchPlan[];
  /**
   * Data-order copies for stability analyses: of the ticket and of each control (copy 0 is the branch
   * itself); at round 0, of the dense net retrained from W_k, copy 0 included.
   */
  readonly copies: readonly BranchPlan[];
  /** Whether stability analyses run for this round. */
  readonly analysed: boolean;
}

export interface ImpChain {
  readonly trunkId: string;
  readonly rewindStep: number;
  readonly rounds: readonly RoundPlan[];
}

export interface SweepPlan {
  readonly iterationsPerEpoch: number;
  readonly endStep: number;
  readonly checkpointEvery: number;
  readonly trunks: readonly TrunkPlan[];
  readonly chains: readonly ImpChain[];
  /** Trainings in all: trunks, tickets, controls and copies. */
  readonly trainings: number;
}

function epochLength(spec: SweepSpec): number {
  const examples = trainSetSize(spec.dataset);
  if (spec.training.batchSize > examples) {
    throw new SpecError([{ field: 'training.batch_size', message: `${spec.training.batchSize} exceeds the ${examples} training examples of ${spec.dataset.name}` }]);
  }
  return perEpoch(examples, spec.training.batchSize);
}

export function planSweep(spec: SweepSpec): SweepPlan {
  const ipe = epochLength(spec);
  const endStep = toIterations(spec.training.steps, ipe);
  const rewindSteps = [...new Set(spec.rewind.map((d) => toIterations(d, ipe)))].sort((a, b) => a - b);
  const late = rewindSteps.filter((k) => k >= endStep);
  if (late.length > 0) throw new SpecError(late.map((k) => ({ field: 'rewind', message: `rewind point ${k}it is not before the end of training (${endStep}it)` })));
  const analysedRounds = spec.stability ? new Set(spec.stability.rounds ?? range(spec.pruning.rounds + 1)) : new Set<number>();
  const copiesAt = (round: number) => (analysedRounds.has(round) ? spec.stability!.copies : 1);
  const { name, trainSubset, augment, imageSize, classes, trainSize } = spec.dataset;
  // Where the data lives (dir) and what to do with a corrupt JPEG (onCorrupt) never change a finished result.
  const dataset = { name, trainSubset, augment, imageSize, classes, trainSize };
  const pruning = { strategy: spec.pruning.strategy, fraction: spec.pruning.fraction, excludedLayers: spec.pruning.excludedLayers };

  const trunks: TrunkPlan[] = [];
  const chains: ImpChain[] = [];
  let trainings = 0;
  for (const seed of spec.seeds) {
    const model: ModelHparams = { name: spec.model.name, width: spec.model.width, initSeed: seed };
    const trunkId = experimentId('trunk', { model, dataset, training: spec.training });
    trunks.push({ id: trunkId, seed, model, training: spec.training, rewindSteps });
    trainings++;

    for (const rewindStep of rewindSteps) {
      const branch = (kind: BranchKind, round: number, copy: number): BranchPlan => {
        const training = { ...spec.training, dataOrderSeed: spec.training.dataOrderSeed + copy };
        const controlSeed = kind === 'ticket' ? undefined : rngFor(seed, kind, round).int(2 ** 31);
        const descriptor = { trunk: trunkId, kind, rewindStep, round, pruning: round > 0 ? pruning : undefined, dataOrderSeed: training.dataOrderSeed, controlSeed };
        // The dense net retrained from W_0 on the trunk's data order is the trunk, step for step.
        const isTrunk = kind === 'ticket' && round === 0 && copy === 0 && rewindStep === 0;
        if (!isTrunk) trainings++;
        const id = isTrunk ? trunkId : experimentId(kind === 'ticket' ? 'ticket' : 'control', descriptor);
        return { id, trunkId, kind, rewindStep, round, copy, training, ...(controlSeed === undefined ? {} : { controlSeed }) };
      };
      const rounds: RoundPlan[] = [];
      for (let round = 0; round <= spec.pruning.rounds; round++) {
        const kinds: readonly BranchKind[] = round === 0 ? ['ticket'] : ['ticket', ...spec.controls];
        const extra: BranchPlan[] = [];
        const first = round === 0 && analysedRounds.has(0) ? 0 : 1;
        for (const kind of kinds) for (let copy = first; copy < copiesAt(round); copy++) extra.push(branch(kind, round, copy));
        rounds.push({
          round,
          ...(round === 0 ? {} : { ticket: branch('ticket', round, 0) }),
          controls: round === 0 ? [] : spec.controls.map((c) => branch(c, round, 0)),
          copies: extra,
          analysed: analysedRounds.has(round),
        });
      }
      chains.push({ trunkId, rewindStep, rounds });
    }
  }
  return { iterationsPerEpoch: ipe, endStep, checkpointEvery: toIterations(spec.checkpointEvery, ipe), trunks, chains, trainings };
}

/** Rows in plan order, whatever order the work finished in; an experiment named twice appears once. */
export function orderedRows(plan: SweepPlan, rows: ReadonlyMap<string, ResultRow>): ResultRow[] {
  const ids = new Set<string>();
  for (const trunk of plan.trunks) {
    ids.add(trunk.id);
    for (const chain of plan.chains.filter((c) => c.trunkId === trunk.id)) {
      for (const round of chain.rounds) {
        for (const branch of [...(round.ticket ? [round.ticket] : []), ...round.controls, ...round.copies]) ids.add(branch.id);
      }
    }
  }
  return [...ids].map((id) => rows.get(id)).filter((r): r is ResultRow => r !== undefined);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
