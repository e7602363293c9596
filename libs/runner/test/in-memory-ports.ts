/**
 * Ports held in memory, for testing the interpreter alone: a content-addressed store, a ledger map, the core's
 * pruning strategies, and a trainer whose "training" is a deterministic function of its job, recording each call.
 */
import { createHash } from 'node:crypto';
import { CorruptCheckpointError, canonicalJson, type Mask, prune, randomLike, rngFor, type SweepSpec, type TrainState } from '@rewind/core';
import { parseSweepSpec } from '@rewind/kinds';
import type { AnalysisJob, AnalysisResult, CheckpointStore, Lineage, StoredCheckpoint, SweepEvent, SweepPorts, TrainJob, TrainJobResult } from '../src/index.ts';

/** The interpreter tests' sweep: two rewind points, two rounds, both controls; `extra` adds or replaces sections. */
export const interpreterSpec = (extra: Record<string, unknown> = {}): SweepSpec =>
  parseSweepSpec({
    name: 'interpreter',
    model: { name: 'mnist_lenet_300_100' },
    seeds: [3],
    dataset: { name: 'synthetic' },
    training: { lr: 0.1, batch_size: 32, steps: '40it' },
    pruning: { rounds: 2 },
    rewind: ['0it', '10it'],
    controls: ['random_reinit', 'random_pruning'],
    ...extra,
  });

const LAYERS = { 'a.kernel': [8, 4], 'b.kernel': [4, 2] } as const;

function idOf(value: unknown): string {
  const plain = JSON.stringify(value, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v));
  return createHash('sha256').update(plain).digest('hex');
}

export class MemoryStore implements CheckpointStore {
  readonly states = new Map<string, StoredCheckpoint<TrainState>>();
  readonly masks = new Map<string, StoredCheckpoint<Mask>>();
  private readonly refs = new Map<string, string>();
  /** Checkpoints whose stored copy fails its hash check, until stored again. */
  readonly damaged = new Set<string>();
  /** Checkpoints that stay damaged however often they are stored again: a persistent fault. */
  readonly stuck = new Set<string>();

  private stored(id: string): void {
    if (!this.stuck.has(id)) this.damaged.delete(id);
  }
  private check(id: string): void {
    if (this.damaged.has(id) || this.stuck.has(id)) throw new CorruptCheckpointError(id, `checkpoint ${id} is corrupt (memory)`);
  }

  async putState(state: TrainState, lineage: Lineage): Promise<string> {
    const id = idOf(state);
    this.states.set(id, { id, value: state, lineage });
    this.stored(id);
    return id;
  }
  async getState(id: string): Promise<StoredCheckpoint<TrainState>> {
    this.check(id);
    const found = this.states.get(id);
    if (!found) throw new Error(`no state ${id}`);
    return found;
  }
  async putMask(mask: Mask, lineage: Lineage): Promise<string> {
    const id = idOf(mask);
    this.masks.set(id, { id, value: mask, lineage });
    this.stored(id);
    return id;
  }
  async getMask(id: string): Promise<StoredCheckpoint<Mask>> {
    this.check(id);
    const found = this.masks.get(id);
    if (!found) throw new Error(`no mask ${id}`);
    return found;
  }
  async lineage(id: string): Promise<Lineage> {
    return (this.states.get(id) ?? this.masks.get(id))!.lineage;
  }
  async has(id: string): Promise<boolean> {
    return this.states.has(id) || this.masks.has(id);
  }
  async setRef(name: string, id: string): Promise<void> {
    this.refs.set(name, id);
  }
  async getRef(name: string): Promise<string | undefined> {
    return this.refs.get(name);
  }
}

export interface MemoryPorts extends SweepPorts {
  readonly store: MemoryStore;
  readonly ledger: SweepPorts['ledger'] & { readonly entries: Map<string, unknown> };
  /** Every training job, in the order the trainer received them. */
  readonly trained: TrainJob[];
  readonly analysed: AnalysisJob[];
  readonly events: { readonly log: SweepEvent[]; emit(e: SweepEvent): void };
}

/**
 * A rerun passes the store and ledger of the run before. `fail(job)` returning an error makes that training fail;
 * `divergeAt(job)` returning a step makes its evaluations from that step on report a NaN loss at chance accuracy;
 * `onTrain` runs before each training and `onAnalyze` before each analysis; `salt(job)` enters its weights, to make a
 * training non-deterministic. Like real trainers, it reads its start weights and mask from the store.
 */
export function memoryPorts(
  options: {
    store?: MemoryStore;
    ledger?: Map<string, unknown>;
    fail?: (job: TrainJob) => Error | undefined;
    divergeAt?: (job: TrainJob) => number | undefined;
    salt?: (job: TrainJob) => string;
    onTrain?: (job: TrainJob) => void;
    onAnalyze?: (job: AnalysisJob, signal?: AbortSignal) => void;
  } = {},
): MemoryPorts {
  const store = options.store ?? new MemoryStore();
  const entries = options.ledger ?? new Map<string, unknown>();
  const trained: TrainJob[] = [];
  const analysed: AnalysisJob[] = [];
  const log: SweepEvent[] = [];
  return {
    store,
    ledger: {
      entries,
      get: async <T>(key: string) => structuredClone(entries.get(key)) as T | undefined,
      put: async (key, value) => void entries.set(key, structuredClone(value)),
    },
    trained,
    analysed,
    events: { log, emit: (e) => void log.push(e) },
    trainer: {
      async train(job, signal): Promise<TrainJobResult> {
        signal?.throwIfAborted();
        options.onTrain?.(job);
        trained.push(job);
        const error = options.fail?.(job);
        if (error) throw error;
        if ('checkpointId' in job.start) await store.getState(job.start.checkpointId);
        if (job.maskId) await store.getMask(job.maskId);
        const salt = options.salt?.(job) ?? '';
        const start = 'checkpointId' in job.start ? job.start.checkpointId : `${job.start.initSeed}@${job.start.step}`;
        const state = (step: number): TrainState => {
          const rng = rngFor(0, canonicalJson({ start, mask: job.maskId ?? '', order: job.training.dataOrderSeed, salt }), step);
          const params = Object.fromEntries(Object.entries(LAYERS).map(([name, shape]) => [name, { shape, data: Float32Array.from({ length: shape[0] * shape[1] }, () => rng.next() - 0.5) }]));
          return { step, params, buffers: {}, momentum: {} };
        };
        const snapshotIds: Record<string, string> = {};
        for (const k of job.snapshotAt) snapshotIds[String(k)] = await store.putState(state(k), { ...job.lineage, kind: 'snapshot', step: k });
        const finalId = await store.putState(state(job.endStep), { ...job.lineage, kind: 'final', step: job.endStep });
        const accuracy = Number.parseInt(finalId.slice(0, 4), 16) / 0x10000;
        const diverged = options.divergeAt?.(job);
        const evals = diverged === undefined ? [{ step: job.endStep, loss: 1 - accuracy, accuracy }] : [diverged, job.endStep].map((step) => ({ step, loss: Number.NaN, accuracy: 0.1 }));
        return { finalId, snapshotIds, evals, trainLoss: evals.at(-1)!.loss, backend: 'memory', wallMs: 0, resumedFrom: 0, prunable: Object.keys(LAYERS) };
      },
    },
    pruner: {
      async prune(job) {
        const current = job.maskId ? (await store.getMask(job.maskId)).value : undefined;
        const next =
          job.method.kind === 'magnitude' ? prune((await store.getState(job.weightsId)).value.params, current, job.method.pruning, job.prunable) : randomLike(current!, job.method.seed);
        return store.putMask(next, { ...job.lineage, kind: 'mask', parent: job.weightsId });
      },
    },
    analyzer: {
      async analyze(job, signal): Promise<AnalysisResult> {
        options.onAnalyze?.(job, signal);
        signal?.throwIfAborted();
        analysed.push(job);
        return { analysis: job.analysis, jobId: idOf(job) } as AnalysisResult;
      },
    },
  };
}
