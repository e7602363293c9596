/**
 * A Trainer that runs the engine in this process. The embedded mode uses it directly; the trainer
 * service wraps it around a NATS work queue. Either way a job killed half-way resumes from its last
 * resumable checkpoint (ref `resume/<job id>`), and gives the same result as an uninterrupted run.
 */
import { applyMaskInPlace, cloneTensorSet, corruptCheckpointId, type Mask, type TrainState } from '@rewind/core';
import { type EvalResult, getModel, openTrainingData, train } from '@rewind/engine';
import type { CheckpointStore, Lineage, Trainer, TrainJob, TrainJobResult } from '@rewind/runner';

/** Progress of one job after each step, for progress bars and traces (the engine's TrainProgress). */
export interface JobProgress {
  readonly job: TrainJob;
  readonly step: number;
  readonly endStep: number;
  /** Present only every LOSS_REPORT_EVERY steps, at evaluations and at the end: see TrainProgress. */
  readonly trainLoss?: number;
}

export interface LocalTrainerOptions {
  onProgress?(progress: JobProgress): void;
  /** Called with each checkpoint written, e.g. to publish `checkpoint.saved`. */
  onCheckpointSaved?(id: string, lineage: Lineage): void | Promise<void>;
  /** Something the operator should know that does not stop the job (default: stderr). */
  warn?(line: string): void;
}

export class LocalTrainer implements Trainer {
  constructor(
    private readonly store: CheckpointStore,
    private readonly options: LocalTrainerOptions = {},
  ) {}

  async train(job: TrainJob, signal?: AbortSignal): Promise<TrainJobResult> {
    const started = performance.now();
    const model = getModel(job.model.name);
    const mask = job.maskId ? (await this.store.getMask(job.maskId)).value : undefined;
    const resumed = await this.resumePoint(job);
    const start = resumed?.state ?? (await this.startState(job, mask));
    const evals: EvalResult[] = [...(resumed?.done?.evals ?? [])];
    const snapshotIds: Record<string, string> = { ...(resumed?.done?.snapshotIds ?? {}) };

    const save = async (state: TrainState, kind: Lineage['kind']) => {
      const lineage: Lineage = { ...job.lineage, kind, step: state.step, ...(job.maskId ? { parent: job.maskId } : {}) };
      const id = await this.store.putState(state, kind === 'resume' ? { ...lineage, done: { evals, snapshotIds } } : lineage);
      await this.options.onCheckpointSaved?.(id, lineage);
      return id;
    };

    const outcome = await train({
      model: job.model,
      dataset: job.dataset,
      training: job.training,
      start,
      ...(mask ? { mask } : {}),
      endStep: job.endStep,
      snapshotAt: job.snapshotAt.filter((s) => !(String(s) in snapshotIds)),
      checkpointEvery: job.checkpointEvery,
      onEval: (e) => {
        evals.push(e);
      },
      onSnapshot: async (state) => {
        snapshotIds[String(state.step)] = await save(state, 'snapshot');
      },
      onCheckpoint: async (state) => {
        await this.store.setRef(resumeRef(job), await save(state, 'resume'));
      },
      onProgress: (p) => this.options.onProgress?.({ job, ...p }),
      ...(signal ? { signal } : {}),
    });
    const finalId = await save(outcome.final, 'final');
    return {
      finalId,
      snapshotIds,
      evals,
      trainLoss: outcome.trainLoss,
      backend: outcome.backend,
      wallMs: performance.now() - started,
      resumedFrom: start.step,
      prunable: model.prunable,
    };
  }

  private async resumePoint(job: TrainJob): Promise<{ state: TrainState; done: Lineage['done'] } | undefined> {
    const id = await this.store.getRef(resumeRef(job));
    if (!id) return undefined;
    try {
      const { value, lineage } = await this.store.getState(id);
      return { state: value, done: lineage.done };
    } catch (err) {
      if (corruptCheckpointId(err) === undefined) throw err;
      // Only time is lost: training is deterministic, so starting over gives the bytes resuming would have.
      (this.options.warn ?? ((line: string) => process.stderr.write(`${line}\n`)))(
        `job ${job.id}: its resume checkpoint ${id} is corrupt (${(err as Error).message}); training it from its start instead`,
      );
      return undefined;
    }
  }

  /** W_k with fresh momentum (rewinding restores weights, not optimizer state), or fresh weights at a step. */
  private async startState(job: TrainJob, mask: Mask | undefined): Promise<TrainState> {
    let state: TrainState;
    if ('checkpointId' in job.start) {
      const { value } = await this.store.getState(job.start.checkpointId);
      state = { step: value.step, params: cloneTensorSet(value.params), buffers: value.buffers, momentum: {} };
    } else {
      const data = await openTrainingData(job.dataset);
      const init = getModel(job.model.name).init({ ...job.model, initSeed: job.start.initSeed }, data.inputShape, data.numClasses);
      state = { step: job.start.step, params: cloneTensorSet(init.params), buffers: init.buffers, momentum: {} };
    }
    if (mask) applyMaskInPlace(state.params, mask);
    return state;
  }
}

function resumeRef(job: TrainJob): string {
  return `resume/${job.id}`;
}
