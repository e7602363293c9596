/**
 * The two shapes of experiment kind. A control is a branch trained beside every pruned ticket; an analysis
 * measures trained subnets. Each kind is one module under controls/ or analyses/ and one line in registry.ts:
 * nothing else in Rewind names a particular kind.
 */
import type { DatasetHparams, Mask, ModelHparams, SpecOption, SweepSpec, TensorSet, TrainState } from '@rewind/core';
import type { NetworkWeights } from '@rewind/stability';

/** Where a training starts: a stored state (W_k), or fresh weights from a seed positioned at `step`. */
export type TrainStart = { readonly checkpointId: string } | { readonly initSeed: number; readonly step: number };

/** How a pruner makes a mask: magnitude pruning per the spec, or the same per-layer counts at random. */
export type PruneMethod = { readonly kind: 'magnitude'; readonly pruning: SweepSpec['pruning'] } | { readonly kind: 'random_like'; readonly seed: number };

/** What a control knows of its round: the ticket it is the control of, and how to ask for a mask. */
export interface ControlContext {
  /** W_k, the rewind checkpoint. */
  readonly rewindId: string;
  readonly rewindStep: number;
  /** The ticket's mask in this round. */
  readonly ticketMaskId: string;
  /** The control's own seed (planned per trunk seed, kind and round). */
  readonly seed: number;
  /** A new mask for this control from the pruner, derived from the ticket's mask. */
  prune(method: PruneMethod): Promise<string>;
}

export interface ControlKind {
  readonly name: string;
  /** How the control's training starts and which mask it keeps. */
  branch(context: ControlContext): Promise<{ readonly start: TrainStart; readonly maskId: string }>;
}

/** An analysis job or result on the wire: tagged with its kind, the rest is the kind's own JSON. */
export interface AnalysisJob {
  readonly analysis: string;
}

export interface AnalysisResult {
  readonly analysis: string;
}

/** One analysed subnet of a round: the ticket, a control or the dense net, with its data-order copies. */
export interface AnalysedSubnet {
  /** `dense` (round 0), `ticket` or a control's name. */
  readonly kind: string;
  readonly seed: number;
  readonly round: number;
  readonly rewindStep: number;
  readonly maskId?: string;
  /** Trained weights of copy 0, 1, … (copy 0 on the spec's data order). */
  readonly copyIds: readonly string[];
}

export interface AnalysisContext {
  readonly spec: SweepSpec;
  /** The options of `spec.stability`, defaults filled in. */
  readonly options: Readonly<Record<string, number>>;
  /** The dense net trained from the same W_k on the same data order (the trunk at k = 0). */
  readonly denseId: string;
  /** The model's prunable layers. */
  readonly layers: readonly string[];
}

/** The I/O an analysis may use, supplied by whoever runs it (in this process, or the analyzer service). */
export interface AnalysisTools {
  state(id: string): Promise<TrainState>;
  params(id: string): Promise<TensorSet>;
  mask(id: string): Promise<Mask>;
  /** Train and test error of a network, on the first `examples` examples of each split. */
  pathEvaluator(model: ModelHparams, dataset: DatasetHparams, examples: number): Promise<(weights: NetworkWeights) => Promise<{ trainError: number; testError: number }>>;
}

export interface TableColumn<R> {
  readonly header: string;
  cell(result: R): string;
}

export interface AnalysisKind<J extends AnalysisJob = AnalysisJob, R extends AnalysisResult = AnalysisResult> {
  readonly name: string;
  /** Runs only when a spec lists it under `stability.analyses` (the others run when the list is absent). */
  readonly optIn?: boolean;
  /** Numbers it reads from the spec's `stability` section. */
  readonly options: readonly SpecOption[];
  /** Its job for one subnet, or undefined where it does not apply (e.g. fewer than two copies). */
  plan(subnet: AnalysedSubnet, context: AnalysisContext): J | undefined;
  /** A job as it arrives over the wire, checked field by field (throws JobError). */
  parseJob(raw: Readonly<Record<string, unknown>>): J;
  analyze(job: J, tools: AnalysisTools): Promise<R>;
  /** Its cells in the stability table, and a line under the table that explains them. */
  readonly columns: readonly TableColumn<R>[];
  readonly legend?: string;
  /** Its figure against the rewind point k in `rewind report`, if it has one. */
  readonly figure?: { readonly file: string; readonly title: string; value(result: R): number };
}

/** A malformed analysis job: the analyzer service answers INVALID_ARGUMENT. */
export class JobError extends Error {
  override name = 'JobError';
}
