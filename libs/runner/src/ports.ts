/**
 * The ports a sweep runs against. The embedded mode wires in-process adapters (local directory,
 * engine in this process); the cluster wires S3, NATS and gRPC clients. The sweep logic never knows which.
 */
import type { DatasetHparams, Mask, ModelHparams, TensorSet, TrainingHparams, TrainState } from '@rewind/core';
import type { AnalysisJob, AnalysisResult, PruneMethod, TrainStart } from '@rewind/kinds';

/** Lineage recorded with every checkpoint, so a ticket can be traced back to its rewind point. */
export interface Lineage {
  readonly kind: 'init' | 'snapshot' | 'final' | 'mask' | 'resume';
  /** Experiment id (hash) of the run that produced it. */
  readonly experiment: string;
  readonly trunk?: string;
  readonly rewindStep?: number;
  readonly round?: number;
  readonly step?: number;
  /** Content id of the checkpoint this one derives from (e.g. a mask's source weights). */
  readonly parent?: string;
  /** On resumable checkpoints: the work done before this point, so a resumed job reports it too. */
  readonly done?: { readonly evals: readonly EvalPoint[]; readonly snapshotIds: Readonly<Record<string, string>> };
}

export interface StoredCheckpoint<T> {
  readonly id: string;
  readonly value: T;
  readonly lineage: Lineage;
}

/** Content-addressed checkpoints: ids are the SHA-256 of the safetensors bytes, checked on every read. */
export interface CheckpointStore {
  putState(state: TrainState, lineage: Lineage): Promise<string>;
  getState(id: string): Promise<StoredCheckpoint<TrainState>>;
  putMask(mask: Mask, lineage: Lineage): Promise<string>;
  getMask(id: string): Promise<StoredCheckpoint<Mask>>;
  /** Lineage alone, without the tensors. */
  lineage(id: string): Promise<Lineage>;
  has(id: string): Promise<boolean>;
  /** Named pointers (e.g. a job's latest resumable checkpoint). Not content-addressed. */
  setRef(name: string, id: string): Promise<void>;
  getRef(name: string): Promise<string | undefined>;
}

/** Finished work, keyed by experiment id, so a rerun resumes instead of recomputing. */
export interface Ledger {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/** A training job: everything a stateless trainer needs, by value or by checkpoint id. */
export interface TrainJob {
  /** The experiment hash; also names the job's resumable checkpoints. */
  readonly id: string;
  readonly model: ModelHparams;
  readonly dataset: DatasetHparams;
  readonly training: TrainingHparams;
  /**
   * A stored TrainState (W_k for a rewound subnet; its momentum is dropped, as rewinding restores weights
   * only), or fresh kaiming-normal weights from a seed, positioned at `step` of the schedule and data order.
   */
  readonly start: TrainStart;
  /** Applied to the start weights and kept through training. */
  readonly maskId?: string;
  readonly endStep: number;
  /** Steps whose weights are saved as snapshots (the trunk's rewind points). */
  readonly snapshotAt: readonly number[];
  /** Save a resumable checkpoint this often (iterations; 0 = never). */
  readonly checkpointEvery: number;
  readonly lineage: Omit<Lineage, 'kind' | 'step' | 'parent'>;
}

export interface EvalPoint {
  readonly step: number;
  readonly loss: number;
  readonly accuracy: number;
}

export interface TrainJobResult {
  readonly finalId: string;
  /** Snapshot checkpoint ids by step. */
  readonly snapshotIds: Readonly<Record<string, string>>;
  readonly evals: readonly EvalPoint[];
  readonly trainLoss: number;
  readonly backend: string;
  readonly wallMs: number;
  /** Step the job resumed from (its start step when it ran uninterrupted). */
  readonly resumedFrom: number;
  /** The model's prunable parameter names, in order. */
  readonly prunable: readonly string[];
}

export interface Trainer {
  train(job: TrainJob, signal?: AbortSignal): Promise<TrainJobResult>;
}

export interface PruneJob {
  /** Trained weights whose magnitudes decide (their `params`). */
  readonly weightsId: string;
  /** The current mask; absent for the first round (all prunable weights alive). */
  readonly maskId?: string;
  /** Prunable parameter names of the model, in order. */
  readonly prunable: readonly string[];
  /** Magnitude pruning per the hparams, or the random control: same per-layer counts as `maskId`. */
  readonly method: PruneMethod;
  readonly lineage: Omit<Lineage, 'kind' | 'parent'>;
}

export interface Pruner {
  /** Returns the id of the new mask. */
  prune(job: PruneJob): Promise<string>;
}

/** Stability analyses of trained subnets (Frankle et al. 2019, 2020): jobs and results of @rewind/kinds' analysis kinds. */
export type { AnalysisJob, AnalysisResult };

export interface Analyzer {
  /** Stops soon after `signal` aborts (an analysis evaluates many networks): rejects with its reason. */
  analyze(job: AnalysisJob, signal?: AbortSignal): Promise<AnalysisResult>;
}

export type SweepEvent =
  | { readonly type: 'checkpoint.saved'; readonly id: string; readonly lineage: Lineage }
  | { readonly type: 'round.completed'; readonly experiment: string; readonly row: unknown }
  /** A checkpoint failed its hash check: `experiment`, which produced it, runs again to recompute it. */
  | { readonly type: 'checkpoint.corrupt'; readonly id: string; readonly experiment: string }
  | {
      readonly type: 'ticket.found';
      readonly experiment: string;
      readonly maskId: string;
      readonly rewindId: string;
      /** The ticket's trained weights, so analyses need nothing but the event. */
      readonly finalId: string;
    }
  | { readonly type: 'progress'; readonly done: number; readonly total: number; readonly label: string; readonly cached?: boolean }
  | {
      /** A trainer's progress on one job (throttled): what `rewind watch` shows between finished trainings. */
      readonly type: 'job.progress';
      readonly experiment: string;
      readonly jobId: string;
      readonly step: number;
      readonly endStep: number;
      readonly trainLoss?: number;
      readonly batchSize: number;
      readonly trainer: string;
      /** The job's rewind point k and pruning round; absent for the dense trunk. */
      readonly rewindStep?: number;
      readonly round?: number;
    }
  /** A line of a trainer's log about one job (taken, retried, given up, finished), for watchers. */
  | { readonly type: 'job.log'; readonly experiment: string; readonly jobId: string; readonly trainer: string; readonly line: string }
  | {
      readonly type: 'analysis.completed';
      readonly experiment: string;
      readonly analysis: string;
      readonly result: unknown;
      /** Set when an analysis plug-in produced the result (see docs/plugins.md). */
      readonly plugin?: PluginInfo;
    };

/** Who produced a plug-in analysis and how to read its result (rewind.v1.PluginInfo). */
export interface PluginInfo {
  readonly name: string;
  readonly version: string;
  /** Protobuf message name of the result. */
  readonly schema: string;
  /** One line for people. */
  readonly summary: string;
  /** Stream sequence of the event analysed. */
  readonly sourceSequence: number;
}

export interface EventSink {
  emit(event: SweepEvent): void | Promise<void>;
}

export interface SweepPorts {
  readonly store: CheckpointStore;
  readonly ledger: Ledger;
  readonly trainer: Trainer;
  readonly pruner: Pruner;
  readonly analyzer: Analyzer;
  readonly events: EventSink;
}

export type { TensorSet };
