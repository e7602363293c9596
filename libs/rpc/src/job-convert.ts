/** Training jobs and their results between domain and wire (NATS payloads). */
import type { TrainJob, TrainJobResult } from '@rewind/runner';
import type { TrainJob as TrainJobMessage, TrainJobResult as TrainJobResultMessage } from '../generated/rewind/v1/jobs.ts';
import {
  datasetFromMessage,
  datasetToMessage,
  modelFromMessage,
  modelToMessage,
  trainingFromMessage,
  trainingToMessage,
} from './hparams-convert.ts';
import { lineageToMessage, partialLineageFromMessage } from './lineage-convert.ts';

export function jobToMessage(job: TrainJob, sweepId: string): TrainJobMessage {
  return {
    id: job.id,
    model: modelToMessage(job.model),
    dataset: datasetToMessage(job.dataset),
    training: trainingToMessage(job.training),
    start:
      'checkpointId' in job.start
        ? { $case: 'checkpointId', value: job.start.checkpointId }
        : { $case: 'fresh', value: { initSeed: job.start.initSeed, step: job.start.step } },
    maskId: job.maskId,
    endStep: job.endStep,
    snapshotAt: [...job.snapshotAt],
    checkpointEvery: job.checkpointEvery,
    lineage: lineageToMessage(job.lineage),
    sweepId,
  };
}

/** Field order follows the runner's job literal; `job.lineage` order is what checkpoint bytes embed. */
export function jobFromMessage(m: TrainJobMessage): TrainJob {
  if (m.id === '') throw new Error('training job has no id');
  const what = `training job ${m.id}`;
  if (m.start === undefined) throw new Error(`${what}: start (checkpoint id or fresh seed) is required`);
  const { kind: _kind, ...lineage } = partialLineageFromMessage(m.lineage, what);
  return {
    id: m.id,
    model: modelFromMessage(m.model),
    dataset: datasetFromMessage(m.dataset),
    endStep: m.endStep,
    checkpointEvery: m.checkpointEvery,
    snapshotAt: [...m.snapshotAt],
    lineage,
    start:
      m.start.$case === 'checkpointId'
        ? { checkpointId: m.start.value }
        : { initSeed: m.start.value.initSeed, step: m.start.value.step },
    training: trainingFromMessage(m.training),
    ...(m.maskId !== undefined ? { maskId: m.maskId } : {}),
  };
}

export const resultToMessage = (r: TrainJobResult): TrainJobResultMessage => ({
  finalId: r.finalId,
  snapshotIds: { ...r.snapshotIds },
  evals: r.evals.map((e) => ({ ...e })),
  trainLoss: r.trainLoss,
  backend: r.backend,
  wallMs: r.wallMs,
  resumedFrom: r.resumedFrom,
  prunable: [...r.prunable],
});

export const resultFromMessage = (m: TrainJobResultMessage): TrainJobResult => ({
  finalId: m.finalId,
  snapshotIds: { ...m.snapshotIds },
  evals: m.evals.map((e) => ({ step: e.step, loss: e.loss, accuracy: e.accuracy })),
  trainLoss: m.trainLoss,
  backend: m.backend,
  wallMs: m.wallMs,
  resumedFrom: m.resumedFrom,
  prunable: [...m.prunable],
});
