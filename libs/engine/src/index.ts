export { type EvalResult, LOSS_REPORT_EVERY, type TrainOutcome, type TrainProgress, type TrainRequest } from './api.ts';
export { DataOrder, gatherBatch, type HostBatch } from './batches.ts';
export { iterationsPerEpoch, toIterations } from './duration.ts';
export { DEFAULT_EVAL_BATCH, type Evaluation, evaluate, type Weights } from './evaluate.ts';
export type { ForwardResult, InputShape, ModelDefinition, ModelInit, NamedTensors } from './models/model.ts';
export { checkInputShape, getModel, MODEL_LIST } from './models/registry.ts';
export { ensureBackend } from './runtime.ts';
export { type LrSchedule, lrAt, scheduleFor } from './schedule.ts';
export { train } from './train.ts';
