/**
 * What the dashboard page draws: one sweep's state, folded from its events (see sweep-view.ts) and sent
 * to the browser as JSON over server-sent events. Times are milliseconds since the epoch; durations ms.
 */
import type { ResultRow } from '@rewind/core';
import type { SweepOutcome } from '@rewind/local/files';

export type SweepState = 'running' | SweepOutcome;

/** A sweep as a source lists it, before any event is read. */
export interface SweepInfo {
  readonly sweepId: string;
  readonly name: string;
  readonly model: string;
  readonly dataset: string;
  /** The sweep's trace (W3C trace id), where it was traced. */
  readonly traceId?: string;
}

/** A training in flight, from its trainer's throttled progress. */
export interface JobView {
  readonly jobId: string;
  readonly experiment: string;
  readonly trainer: string;
  readonly rewindStep?: number;
  readonly round?: number;
  readonly step: number;
  readonly endStep: number;
  readonly loss?: number;
  readonly stepsPerSecond?: number;
  readonly examplesPerSecond?: number;
  readonly etaMs?: number;
  readonly updatedAt: number;
  /** Its trainer's latest log line about it (taken, retried, …). */
  readonly lastLog?: string;
}

/** An analysis placed by the row of the branch it analysed (k, round, kind), when that row is known. */
export interface AnalysisView {
  readonly experiment: string;
  readonly analysis: string;
  readonly kind?: string;
  readonly seed?: number;
  readonly rewindStep?: number;
  readonly round?: number;
  readonly weightsRemaining?: number;
  readonly result: unknown;
}

export interface TicketView {
  readonly experiment: string;
  readonly maskId: string;
  readonly rewindId: string;
  readonly finalId: string;
  readonly rewindStep?: number;
  readonly round?: number;
  readonly weightsRemaining?: number;
  readonly finalAccuracy?: number;
  readonly bestAccuracy?: number;
}

/** Training loss against step for one training, as its progress arrived. */
export interface CurveView {
  readonly experiment: string;
  readonly rewindStep?: number;
  readonly round?: number;
  /** [step, loss] pairs, thinned to at most MAX_CURVE_POINTS. */
  readonly points: readonly (readonly [number, number])[];
}

export interface LogLine {
  readonly at: number;
  readonly text: string;
}

export interface SweepSnapshot extends SweepInfo {
  readonly state: SweepState;
  readonly error?: string;
  readonly attempt: number;
  /** When this attempt started (its first event). */
  readonly startedAt?: number;
  readonly updatedAt?: number;
  /** Trainings done and planned. */
  readonly done: number;
  readonly total: number;
  /** The backends that trained its rows. */
  readonly backends: readonly string[];
  readonly elapsedMs: number;
  /** Undefined until there is a rate to go by, and once the sweep has ended. */
  readonly etaMs?: number;
  readonly jobs: readonly JobView[];
  readonly rows: readonly ResultRow[];
  readonly analyses: readonly AnalysisView[];
  readonly tickets: readonly TicketView[];
  readonly curves: readonly CurveView[];
  /** The newest last, at most MAX_LOG_LINES. */
  readonly log: readonly LogLine[];
}

/** One link of a checkpoint's lineage, as the checkpoint store records it. */
export interface LineageNode {
  readonly id: string;
  readonly kind: string;
  readonly experiment: string;
  readonly step?: number;
  readonly rewindStep?: number;
  readonly round?: number;
}

/** A ticket's lineage: its mask back to the trunk, and its rewind point W_k back to the trunk's start. */
export interface LineageGraph {
  readonly maskId: string;
  readonly finalId?: string;
  readonly traceId?: string;
  readonly chain: readonly LineageNode[];
  readonly rewind: readonly LineageNode[];
}
