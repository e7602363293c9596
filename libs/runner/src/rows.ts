/** A trained experiment's result row: where it sits in the plan, and how it ended. */
import type { ResultRow, TrunkPlan } from '@rewind/core';
import type { TrainJobResult } from './ports.ts';

export function rowOf(
  experiment: string,
  trunk: TrunkPlan,
  kind: string,
  rewindStep: number,
  round: number,
  copy: number,
  weightsRemaining: number,
  result: TrainJobResult,
  maskId?: string,
  rewindId?: string,
): ResultRow {
  const last = result.evals.at(-1);
  // From the evaluations, which a resumed job keeps: the same step however often the job was interrupted.
  const divergedAt = result.evals.find((e) => !Number.isFinite(e.loss))?.step;
  return {
    experiment,
    trunk: trunk.id,
    seed: trunk.seed,
    kind,
    rewindStep,
    round,
    copy,
    weightsRemaining,
    finalAccuracy: last?.accuracy ?? Number.NaN,
    bestAccuracy: Math.max(...result.evals.map((e) => e.accuracy)),
    trainLoss: result.trainLoss,
    wallMs: result.wallMs,
    ...(maskId ? { maskId } : {}),
    ...(rewindId ? { rewindId } : {}),
    finalId: result.finalId,
    backend: result.backend,
    ...(divergedAt === undefined ? {} : { divergedAt }),
  };
}
