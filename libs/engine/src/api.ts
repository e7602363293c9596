/**
 * The engine's contract with the rest of Rewind. Callers hand over host tensors and hparams;
 * which tfjs backend runs the arithmetic is the engine's business alone.
 */
import type {
  DatasetHparams,
  HostTensor,
  Mask,
  ModelHparams,
  TensorSet,
  TrainingHparams,
  TrainState,
} from '@rewind/core';

export interface EvalResult {
  readonly step: number;
  readonly loss: number;
  readonly accuracy: number;
}

/** How many steps at most a progress report's `trainLoss` covers (see TrainProgress). */
export const LOSS_REPORT_EVERY = 50;

/**
 * One report per training step, after the step. Training reads nothing back from the device per
 * step, so most reports carry no loss: `trainLoss` is present only on the reports at steps that are
 * multiples of LOSS_REPORT_EVERY, at evaluation boundaries and at `endStep`, and is then the mean
 * training loss over the steps since the previous report that carried one (or since the start of
 * this call). Watchers show the step on every report and keep the last loss they saw.
 */
export interface TrainProgress {
  /** The step count after this step (absolute: a resumed or rewound run starts past 0). */
  readonly step: number;
  readonly endStep: number;
  /** Mean batch loss over the steps since the previous loss report; absent on the reports between. */
  readonly trainLoss?: number;
}

export interface TrainRequest {
  readonly model: ModelHparams;
  readonly dataset: DatasetHparams;
  readonly training: TrainingHparams;
  /** Where training starts: step 0 with fresh weights, or W_k at step k for a rewound subnet. */
  readonly start: TrainState;
  /** Pruned weights are zero at the start and stay exactly zero; they carry no momentum. */
  readonly mask?: Mask;
  /** Train until this iteration (exclusive of nothing: `endStep` steps in total from 0). */
  readonly endStep: number;
  /** Steps at which `onSnapshot` receives the state (the rewind points W_k). */
  readonly snapshotAt?: readonly number[];
  /** Every this many steps `onCheckpoint` receives a resumable state (0 = never). */
  readonly checkpointEvery?: number;
  onSnapshot?(state: TrainState): Promise<void> | void;
  onCheckpoint?(state: TrainState): Promise<void> | void;
  /** Each evaluation as it happens, so a resumable checkpoint can carry the ones before it. */
  onEval?(result: EvalResult): void;
  /** After every step; see TrainProgress for when it carries the loss. */
  onProgress?(progress: TrainProgress): void;
  readonly signal?: AbortSignal;
}

export interface TrainOutcome {
  readonly final: TrainState;
  /** Test-set evaluations, at `evalEvery` and at the end. */
  readonly evals: readonly EvalResult[];
  /** Mean training loss over the last evaluation interval: the steps since the last evaluation before `endStep`, or since the start of this call. */
  readonly trainLoss: number;
  /** The tfjs backend that ran it. */
  readonly backend: string;
}

export type { HostTensor, TensorSet };
