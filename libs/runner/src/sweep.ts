/**
 * Runs a sweep plan against ports. Every finished experiment goes into the ledger under its hash, so
 * running the same spec again (after a crash, or on a restarted coordinator) skips finished work and
 * continues where it stopped. IMP chains for different rewind points proceed concurrently; each
 * chain's rounds run in order, since round r prunes round r−1's trained weights.
 */
import {
  type BranchPlan,
  experimentId,
  fractionRemaining,
  type ImpChain,
  planSweep,
  type ResultRow,
  type SweepPlan,
  type SweepSpec,
  type TrunkPlan,
} from '@rewind/core';
import { type AnalysisRow, analysisJobsFor } from './analysis-rows.ts';
import type { AnalysisResult, Lineage, SweepPorts, TrainJob, TrainJobResult } from './ports.ts';

/** What the ledger keeps per trained experiment: enough to rebuild its result row. */
export interface TrainingRecord {
  readonly row: ResultRow;
  readonly result: TrainJobResult;
}

export interface SweepOutcome {
  readonly plan: SweepPlan;
  readonly rows: readonly ResultRow[];
  readonly analyses: readonly AnalysisRow[];
}

export interface SweepOptions {
  /** Run only the IMP chains of these rewind points (iterations); the trunk still saves every W_k. */
  readonly rewindSteps?: readonly number[];
}

export async function runSweep(spec: SweepSpec, ports: SweepPorts, signal?: AbortSignal, options: SweepOptions = {}): Promise<SweepOutcome> {
  const plan = planSweep(spec);
  const chains = plan.chains.filter((c) => !options.rewindSteps || options.rewindSteps.includes(c.rewindStep));
  const rows = new Map<string, ResultRow>();
  const analyses = new Map<string, AnalysisRow>();
  let done = 0;

  /** Runs `work` unless the ledger already holds the experiment. */
  const once = async (id: string, label: string, work: () => Promise<TrainingRecord>): Promise<TrainingRecord> => {
    signal?.throwIfAborted();
    const cached = await ports.ledger.get<TrainingRecord>(id);
    const record = cached ?? (await work());
    if (!cached) await ports.ledger.put(id, record);
    rows.set(id, record.row);
    await ports.events.emit({ type: 'progress', done: ++done, total: plan.trainings, label, cached: cached !== undefined });
    return record;
  };

  /** A training job of `trunk`'s model; the rest of the sweep's settings are shared by every job. */
  const job = (
    trunk: TrunkPlan,
    id: string,
    branchLineage: Omit<Lineage, 'kind' | 'step' | 'parent'>,
    rest: Pick<TrainJob, 'start' | 'training'> & { maskId?: string; snapshotAt?: number[] },
  ): TrainJob => ({
    id,
    model: trunk.model,
    dataset: spec.dataset,
    endStep: plan.endStep,
    checkpointEvery: plan.checkpointEvery,
    snapshotAt: [],
    lineage: branchLineage,
    ...rest,
  });

  const trunkJob = (trunk: TrunkPlan, snapshotAt: readonly number[]) =>
    job(trunk, trunk.id, { experiment: trunk.id, trunk: trunk.id }, { start: { initSeed: trunk.seed, step: 0 }, training: trunk.training, snapshotAt: [...snapshotAt] });

  const runTrunk = async (trunk: TrunkPlan) => {
    let record = await once(trunk.id, `dense trunk, seed ${trunk.seed}`, async () => {
      const result = await ports.trainer.train(trunkJob(trunk, trunk.rewindSteps), signal);
      return { result, row: rowOf(trunk.id, trunk, 'dense', 0, 0, 0, 1, result) };
    });
    record = await withSnapshots(trunk, record);
    await Promise.all(chains.filter((c) => c.trunkId === trunk.id).map((chain) => runChain(trunk, chain, record)));
  };

  /**
   * A spec may gain rewind points after its trunk was trained. Training is deterministic, so replaying the
   * trunk up to the new points yields exactly the W_k the original run passed through.
   */
  const withSnapshots = async (trunk: TrunkPlan, record: TrainingRecord): Promise<TrainingRecord> => {
    const missing = trunk.rewindSteps.filter((k) => !(String(k) in record.result.snapshotIds));
    if (missing.length === 0) return record;
    const replay = await ports.trainer.train({ ...trunkJob(trunk, missing), id: `${trunk.id}.replay-${missing.join('-')}`, endStep: Math.max(...missing) }, signal);
    const updated = { ...record, result: { ...record.result, snapshotIds: { ...record.result.snapshotIds, ...replay.snapshotIds } } };
    await ports.ledger.put(trunk.id, updated);
    return updated;
  };

  const runChain = async (trunk: TrunkPlan, chain: ImpChain, trunkRecord: TrainingRecord) => {
    const k = chain.rewindStep;
    const rewindId = trunkRecord.result.snapshotIds[String(k)];
    if (!rewindId) throw new Error(`trunk ${trunk.id} saved no snapshot at rewind point ${k}it`);
    const prunable = trunkRecord.result.prunable;
    let weightsId = trunkRecord.result.finalId;
    let maskId: string | undefined;

    const train = async (branch: BranchPlan, branchMaskId: string | undefined, remaining: number): Promise<TrainingRecord> => {
      const lineage = { experiment: branch.id, trunk: trunk.id, rewindStep: k, round: branch.round };
      const start = branch.kind === 'random_reinit' ? { initSeed: branch.controlSeed!, step: k } : { checkpointId: rewindId };
      const result = await ports.trainer.train(
        job(trunk, branch.id, lineage, { start, training: branch.training, ...(branchMaskId ? { maskId: branchMaskId } : {}) }),
        signal,
      );
      const kind = branch.round === 0 ? 'dense' : branch.kind;
      return { result, row: rowOf(branch.id, trunk, kind, k, branch.round, branch.copy, remaining, result, branchMaskId, rewindId) };
    };

    for (const round of chain.rounds) {
      const label = (b: BranchPlan) => `k=${k}it round ${round.round} ${b.round === 0 ? 'dense' : b.kind}${b.copy ? ` copy ${b.copy}` : ''}`;
      let ticketMask = maskId;
      let remaining = 1;
      let ticketRecord: TrainingRecord | undefined;
      if (round.ticket) {
        const ticket = round.ticket;
        const record = await once(ticket.id, label(ticket), async () => {
          const newMask = await ports.pruner.prune({
            weightsId,
            ...(maskId ? { maskId } : {}),
            prunable,
            method: { kind: 'magnitude', pruning: spec.pruning },
            lineage: { experiment: ticket.id, trunk: trunk.id, rewindStep: k, round: round.round },
          });
          const fraction = fractionRemaining((await ports.store.getMask(newMask)).value);
          return train(ticket, newMask, fraction);
        });
        ticketMask = record.row.maskId;
        remaining = record.row.weightsRemaining;
        await ports.events.emit({ type: 'round.completed', experiment: ticket.id, row: record.row });
        await ports.events.emit({ type: 'ticket.found', experiment: ticket.id, maskId: ticketMask!, rewindId, finalId: record.result.finalId });
        weightsId = record.result.finalId;
        ticketRecord = record;
      }
      maskId = ticketMask;
      const branchMask = async (branch: BranchPlan): Promise<string | undefined> => {
        if (branch.kind !== 'random_pruning') return maskId;
        return ports.pruner.prune({
          weightsId: rewindId,
          maskId: maskId!,
          prunable,
          method: { kind: 'random_like', seed: branch.controlSeed! },
          lineage: { experiment: branch.id, trunk: trunk.id, rewindStep: k, round: round.round },
        });
      };
      const trained = await Promise.all(
        [...round.controls, ...round.copies].map(async (branch) => ({
          branch,
          record: await once(branch.id, label(branch), async () => train(branch, await branchMask(branch), remaining)),
        })),
      );
      if (round.analysed && spec.stability) {
        const copy0 = [...(round.ticket ? [{ branch: round.ticket, record: ticketRecord! }] : []), ...trained];
        for (const { row, job: analysisJob } of analysisJobsFor(spec, trunkRecord.result.finalId, prunable, copy0)) {
          const key = experimentId('analysis', analysisJob);
          const result = (await ports.ledger.get<AnalysisResult>(key)) ?? (await ports.analyzer.analyze(analysisJob));
          await ports.ledger.put(key, result);
          const analysisRow: AnalysisRow = { ...row, result };
          analyses.set(key, analysisRow);
          await ports.events.emit({ type: 'analysis.completed', experiment: row.experiment, analysis: analysisJob.analysis, result });
        }
      }
    }
  };

  await Promise.all(plan.trunks.map(runTrunk));
  return { plan, rows: orderedRows(plan, rows), analyses: [...analyses.values()].sort(byPosition) };
}

const KIND_ORDER: readonly ResultRow['kind'][] = ['dense', 'ticket', 'random_pruning', 'random_reinit'];

function byPosition(a: AnalysisRow, b: AnalysisRow): number {
  const kind = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  return a.seed - b.seed || a.rewindStep - b.rewindStep || a.round - b.round || kind || a.analysis.localeCompare(b.analysis);
}

function rowOf(
  experiment: string,
  trunk: TrunkPlan,
  kind: ResultRow['kind'],
  rewindStep: number,
  round: number,
  copy: number,
  weightsRemaining: number,
  result: TrainJobResult,
  maskId?: string,
  rewindId?: string,
): ResultRow {
  const last = result.evals.at(-1);
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
  };
}

/** Rows in plan order, whatever order the work finished in. */
function orderedRows(plan: SweepPlan, rows: ReadonlyMap<string, ResultRow>): ResultRow[] {
  const ids: string[] = [];
  for (const trunk of plan.trunks) {
    ids.push(trunk.id);
    for (const chain of plan.chains.filter((c) => c.trunkId === trunk.id)) {
      for (const round of chain.rounds) {
        if (round.ticket) ids.push(round.ticket.id);
        ids.push(...round.controls.map((b) => b.id), ...round.copies.map((b) => b.id));
      }
    }
  }
  return ids.map((id) => rows.get(id)).filter((r): r is ResultRow => r !== undefined);
}
