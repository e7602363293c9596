/**
 * The learning rate as a pure function of the step: linear warmup from 0, then a factor of
 * `gamma` at each milestone. A run rewound to step k therefore resumes the schedule exactly.
 */
import type { TrainingHparams } from '@rewind/core';
import { toIterations } from '@rewind/core';

export interface LrSchedule {
  readonly lr: number;
  /** Iterations of linear warmup (0 = none). */
  readonly warmup: number;
  /** Iterations at which the rate is multiplied by `gamma`. */
  readonly milestones: readonly number[];
  readonly gamma: number;
}

export function scheduleFor(training: TrainingHparams, iterationsPerEpoch: number): LrSchedule {
  return {
    lr: training.lr,
    warmup: toIterations(training.warmup, iterationsPerEpoch),
    milestones: training.milestones.map((m) => toIterations(m, iterationsPerEpoch)),
    gamma: training.gamma,
  };
}

/** The rate used for the update taken at `step` (open_lth's LambdaLR warmup times MultiStepLR). */
export function lrAt(schedule: LrSchedule, step: number): number {
  const warm = schedule.warmup > 0 ? Math.min(1, step / schedule.warmup) : 1;
  const passed = schedule.milestones.filter((m) => m <= step).length;
  return schedule.lr * warm * schedule.gamma ** passed;
}
