/** Where the dashboard's sweeps come from: run directories (embedded) or a coordinator (cluster). */
import type { TimedEvent } from '@rewind/local/files';
import type { LineageGraph, SweepInfo, SweepState } from './views.ts';

export interface SweepSource {
  sweeps(): Promise<SweepInfo[]>;
  /** The sweep's events from its start, then live ones as they happen, until `signal` aborts. */
  events(sweepId: string, signal: AbortSignal): AsyncIterable<TimedEvent>;
  /** Stops a running sweep; its finished work stays. Resolves to the state it reached. */
  cancel(sweepId: string): Promise<SweepState>;
  lineage(sweepId: string, maskId: string): Promise<LineageGraph>;
}

/** Errors a source throws for the user's request; the server answers with their status. */
export class SweepNotFoundError extends Error {
  override name = 'NotFoundError';
}

export class CannotCancelError extends Error {
  override name = 'FailedPreconditionError';
}

export class AmbiguousIdError extends Error {
  override name = 'InvalidArgumentError';
}

/** A directory given to `rewind dashboard` that `rewind run` did not write. */
export class NotARunDirError extends Error {
  override name = 'UsageError';
}
