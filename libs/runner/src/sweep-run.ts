/**
 * One sweep's walk through its plan: trunk, then per rewind point the rounds of its IMP chain, each round
 * a ticket, its controls and data-order copies, then its analyses. What is special about a control or an
 * analysis lives in its kind (@rewind/kinds); this file only orders the work and keeps the ledger.
 */
import {
  type BranchPlan,
  experimentId,
  fractionRemaining,
  type ImpChain,
  type ResultRow,
  type RoundPlan,
  type SweepPlan,
  type SweepSpec,
  type TrunkPlan,
} from '@rewind/core';
import { ANALYSES, type AnalysisRow, controlKind, type TrainStart } from '@rewind/kinds';
import { Healer, type Work } from './heal.ts';
import type { AnalysisResult, Lineage, SweepPorts, TrainJob, TrainJobResult } from './ports.ts';
import { rowOf } from './rows.ts';

/** What the ledger keeps per trained experiment: enough to rebuild its result row. */
export interface TrainingRecord {
  readonly row: ResultRow;
  readonly result: TrainJobResult;
}

interface Trained {
  readonly branch: BranchPlan;
  readonly record: TrainingRecord;
}

export class SweepRun {
  readonly rows = new Map<string, ResultRow>();
  private readonly analysisRows = new Map<string, AnalysisRow>();
  /** Each experiment runs once per sweep, however many places of the plan name it. */
  private readonly trainings = new Map<string, Promise<TrainingRecord>>();
  private done = 0;
  private readonly healer: Healer;

  constructor(
    private readonly spec: SweepSpec,
    private readonly plan: SweepPlan,
    private readonly ports: SweepPorts,
    private readonly signal?: AbortSignal,
  ) {
    this.healer = new Healer(ports.events);
  }

  analyses(): AnalysisRow[] {
    return [...this.analysisRows.values()].sort(byPosition);
  }

  async trunk(trunk: TrunkPlan, chains: readonly ImpChain[]): Promise<void> {
    const work: Work = async (jobId) => {
      const result = await this.ports.trainer.train({ ...this.trunkJob(trunk, trunk.rewindSteps), id: jobId }, this.signal);
      return { result, row: rowOf(trunk.id, trunk, 'dense', 0, 0, 0, 1, result) };
    };
    const record = await this.withSnapshots(trunk, await this.once(trunk.id, `dense trunk, seed ${trunk.seed}`, work));
    // Training the trunk again yields every W_k of the plan, replayed ones included.
    this.healer.produced(trunk.id, record, work);
    await Promise.all(chains.map((chain) => this.chain(trunk, chain, record)));
  }

  /**
   * Runs `work` unless the ledger already holds the experiment; the same id twice runs once. Either way
   * the record's checkpoints are noted as this experiment's, to be recomputed by `work` should one be corrupt.
   */
  private once(id: string, label: string, work: Work, givenMask?: string): Promise<TrainingRecord> {
    let pending = this.trainings.get(id);
    if (!pending) {
      pending = (async () => {
        this.signal?.throwIfAborted();
        const cached = await this.ports.ledger.get<TrainingRecord>(id);
        const record = cached ?? (await this.healer.healing(() => work(id)));
        if (!cached) await this.ports.ledger.put(id, record);
        this.healer.produced(id, record, work, givenMask);
        this.rows.set(id, record.row);
        // Every training's row, the trunk's and controls' too, so a watcher's figures fill in as they finish.
        await this.ports.events.emit({ type: 'round.completed', experiment: id, row: record.row });
        await this.ports.events.emit({ type: 'progress', done: ++this.done, total: this.plan.trainings, label, cached: cached !== undefined });
        return record;
      })();
      this.trainings.set(id, pending);
    }
    return pending;
  }

  private job(trunk: TrunkPlan, id: string, lineage: TrainJob['lineage'], rest: Pick<TrainJob, 'start' | 'training'> & { maskId?: string; snapshotAt?: number[] }): TrainJob {
    return { id, model: trunk.model, dataset: this.spec.dataset, endStep: this.plan.endStep, checkpointEvery: this.plan.checkpointEvery, snapshotAt: [], lineage, ...rest };
  }

  private trunkJob(trunk: TrunkPlan, snapshotAt: readonly number[]): TrainJob {
    return this.job(trunk, trunk.id, { experiment: trunk.id, trunk: trunk.id }, { start: { initSeed: trunk.seed, step: 0 }, training: trunk.training, snapshotAt: [...snapshotAt] });
  }

  /**
   * A spec may gain rewind points after its trunk was trained. Training is deterministic, so replaying the
   * trunk up to the new points yields exactly the W_k the original run passed through.
   */
  private async withSnapshots(trunk: TrunkPlan, record: TrainingRecord): Promise<TrainingRecord> {
    const missing = trunk.rewindSteps.filter((k) => !(String(k) in record.result.snapshotIds));
    if (missing.length === 0) return record;
    const replay = await this.ports.trainer.train({ ...this.trunkJob(trunk, missing), id: `${trunk.id}.replay-${missing.join('-')}`, endStep: Math.max(...missing) }, this.signal);
    const updated = { ...record, result: { ...record.result, snapshotIds: { ...record.result.snapshotIds, ...replay.snapshotIds } } };
    await this.ports.ledger.put(trunk.id, updated);
    return updated;
  }

  private async chain(trunk: TrunkPlan, chain: ImpChain, trunkRecord: TrainingRecord): Promise<void> {
    const k = chain.rewindStep;
    const rewindId = trunkRecord.result.snapshotIds[String(k)];
    if (!rewindId) throw new Error(`trunk ${trunk.id} saved no snapshot at rewind point ${k}it`);
    let weightsId = trunkRecord.result.finalId;
    let maskId: string | undefined;
    for (const round of chain.rounds) {
      const ticket = round.ticket ? await this.ticket(trunk, round.ticket, rewindId, weightsId, maskId, trunkRecord.result.prunable) : undefined;
      if (ticket) {
        weightsId = ticket.record.result.finalId;
        maskId = ticket.record.row.maskId;
      }
      const remaining = ticket?.record.row.weightsRemaining ?? 1;
      // This round's mask, fixed: a recomputation may run the work after the chain has moved on.
      const ticketMask = maskId;
      const others = await Promise.all(
        [...round.controls, ...round.copies].map(async (branch) => ({
          branch,
          record: await this.once(
            branch.id,
            labelOf(branch),
            async (jobId) => {
              const { start, maskId: branchMask } = await this.branchStart(trunk, branch, rewindId, ticketMask, trunkRecord.result.prunable);
              return this.train(jobId, trunk, branch, rewindId, start, branchMask, remaining);
            },
            ticketMask,
          ),
        })),
      );
      if (round.analysed) await this.analyse(round, trunkRecord, [...(ticket ? [ticket] : []), ...others]);
    }
  }

  /** Round r's ticket: prune round r−1's trained weights, rewind the survivors to W_k, train. */
  private async ticket(trunk: TrunkPlan, branch: BranchPlan, rewindId: string, weightsId: string, maskId: string | undefined, prunable: readonly string[]): Promise<Trained> {
    const work: Work = async (jobId) => {
      const newMask = await this.ports.pruner.prune({
        weightsId,
        ...(maskId ? { maskId } : {}),
        prunable,
        method: { kind: 'magnitude', pruning: this.spec.pruning },
        lineage: this.lineage(trunk, branch),
      });
      const remaining = fractionRemaining((await this.ports.store.getMask(newMask)).value);
      return this.train(jobId, trunk, branch, rewindId, { checkpointId: rewindId }, newMask, remaining);
    };
    const record = await this.once(branch.id, labelOf(branch), work, maskId);
    await this.ports.events.emit({ type: 'ticket.found', experiment: branch.id, maskId: record.row.maskId!, rewindId, finalId: record.result.finalId });
    return { branch, record };
  }

  /** A control starts as its kind says; a data-order copy (or the dense net of round 0) as its original. */
  private async branchStart(trunk: TrunkPlan, branch: BranchPlan, rewindId: string, ticketMaskId: string | undefined, prunable: readonly string[]): Promise<{ start: TrainStart; maskId?: string }> {
    if (branch.kind === 'ticket') return { start: { checkpointId: rewindId }, ...(ticketMaskId ? { maskId: ticketMaskId } : {}) };
    return controlKind(branch.kind).branch({
      rewindId,
      rewindStep: branch.rewindStep,
      ticketMaskId: ticketMaskId!,
      seed: branch.controlSeed!,
      prune: (method) => this.ports.pruner.prune({ weightsId: rewindId, maskId: ticketMaskId!, prunable, method, lineage: this.lineage(trunk, branch) }),
    });
  }

  private async train(jobId: string, trunk: TrunkPlan, branch: BranchPlan, rewindId: string, start: TrainStart, maskId: string | undefined, remaining: number): Promise<TrainingRecord> {
    const job = this.job(trunk, jobId, this.lineage(trunk, branch), { start, training: branch.training, ...(maskId ? { maskId } : {}) });
    const result = await this.ports.trainer.train(job, this.signal);
    const kind = branch.round === 0 ? 'dense' : branch.kind;
    return { result, row: rowOf(branch.id, trunk, kind, branch.rewindStep, branch.round, branch.copy, remaining, result, maskId, rewindId) };
  }

  private lineage(trunk: TrunkPlan, branch: BranchPlan): Omit<Lineage, 'kind' | 'step' | 'parent'> {
    return { experiment: branch.id, trunk: trunk.id, rewindStep: branch.rewindStep, round: branch.round };
  }

  /** Each analysis kind's job for each analysed subnet (the ticket, each control, or the dense net) and its copies. */
  private async analyse(round: RoundPlan, trunkRecord: TrainingRecord, trained: readonly Trained[]): Promise<void> {
    const stability = this.spec.stability;
    if (!stability) return;
    const layers = trunkRecord.result.prunable;
    const context = { spec: this.spec, options: stability.options, denseId: trunkRecord.result.finalId, layers };
    const subnets = new Map<string, Trained[]>();
    for (const t of trained) subnets.set(t.record.row.kind, [...(subnets.get(t.record.row.kind) ?? []), t]);
    for (const copies of subnets.values()) {
      copies.sort((a, b) => a.branch.copy - b.branch.copy);
      const first = copies[0]!.record.row;
      const subnet = { kind: first.kind, seed: first.seed, round: round.round, rewindStep: first.rewindStep, ...(first.maskId ? { maskId: first.maskId } : {}), copyIds: copies.map((c) => c.record.result.finalId) };
      for (const kind of ANALYSES.filter((a) => stability.analyses.includes(a.name))) {
        const job = kind.plan(subnet, context);
        if (!job) continue;
        const key = experimentId('analysis', job);
        this.signal?.throwIfAborted();
        const result = (await this.ports.ledger.get<AnalysisResult>(key)) ?? (await this.healer.healing(() => this.ports.analyzer.analyze(job, this.signal)));
        await this.ports.ledger.put(key, result);
        const { experiment, trunk, seed, kind: rowKind, rewindStep, weightsRemaining } = first;
        this.analysisRows.set(key, { experiment, trunk, seed, kind: rowKind, rewindStep, round: first.round, weightsRemaining, analysis: kind.name, result });
        await this.ports.events.emit({ type: 'analysis.completed', experiment, analysis: kind.name, result });
      }
    }
  }
}

function labelOf(b: BranchPlan): string {
  return `k=${b.rewindStep}it round ${b.round} ${b.round === 0 ? 'dense' : b.kind}${b.copy ? ` copy ${b.copy}` : ''}`;
}

function byPosition(a: AnalysisRow, b: AnalysisRow): number {
  const order = (kind: string) => (kind === 'dense' ? 0 : kind === 'ticket' ? 1 : 2);
  const analysis = ANALYSES.findIndex((x) => x.name === a.analysis) - ANALYSES.findIndex((x) => x.name === b.analysis);
  return a.seed - b.seed || a.rewindStep - b.rewindStep || a.round - b.round || order(a.kind) - order(b.kind) || a.kind.localeCompare(b.kind) || analysis;
}
