/**
 * Runs a sweep plan against ports. Every finished experiment goes into the ledger under its hash, so
 * running the same spec again (after a crash, or on a restarted coordinator) skips finished work and
 * continues where it stopped. IMP chains for different rewind points proceed concurrently; each
 * chain's rounds run in order, since round r prunes round r−1's trained weights.
 */
import {
  type BranchPlan,
  fractionRemaining,
  type ImpChain,
  planSweep,
  type ResultRow,
  type SweepPlan,
  type SweepSpec,
  type TrunkPlan,
} from '@rewind/core';
import type { Lineage, SweepPorts, TrainJob, TrainJobResult } from './ports.ts';

/** What the ledger keeps per trained experiment: enough to rebuild its result row. */
export interface TrainingRecord {
  readonly row: ResultRow;
  readonly result: TrainJobResult;
}

export interface SweepOutcome {
  readonly plan: SweepPlan;
  readonly rows: readonly ResultRow[];
}

export async function runSweep(spec: SweepSpec, ports: SweepPorts, signal?: AbortSignal): Promise<SweepOutcome> {
  const plan = planSweep(spec);
  const rows = new Map<string, ResultRow>();
  let done = 0;

  /** Runs `work` unless the ledger already holds the experiment. */
  const once = async (id: string, label: string, work: () => Promise<TrainingRecord>): Promise<TrainingRecord> => {
    signal?.throwIfAborted();
    const record = (await ports.ledger.get<TrainingRecord>(id)) ?? (await work());
    await ports.ledger.put(id, record);
    rows.set(id, record.row);
    await ports.events.emit({ type: 'progress', done: ++done, total: plan.trainings, label });
    return record;
  };

  const job = (id: string, branchLineage: Omit<Lineage, 'kind' | 'step' | 'parent'>, rest: Pick<TrainJob, 'start' | 'training'> & { maskId?: string; snapshotAt?: number[] }): TrainJob => ({
    id,
    model: { name: spec.model.name, width: spec.model.width, initSeed: 0 },
    dataset: spec.dataset,
    endStep: plan.endStep,
    checkpointEvery: plan.checkpointEvery,
    snapshotAt: [],
    lineage: branchLineage,
    ...rest,
  });

  const runTrunk = async (trunk: TrunkPlan) => {
    const record = await once(trunk.id, `dense trunk, seed ${trunk.seed}`, async () => {
      const result = await ports.trainer.train(
        { ...job(trunk.id, { experiment: trunk.id, trunk: trunk.id }, { start: { initSeed: trunk.seed, step: 0 }, training: trunk.training, snapshotAt: [...trunk.rewindSteps] }), model: trunk.model },
        signal,
      );
      return { result, row: rowOf(trunk.id, trunk, 'dense', 0, 0, 0, 1, result) };
    });
    await Promise.all(plan.chains.filter((c) => c.trunkId === trunk.id).map((chain) => runChain(trunk, chain, record)));
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
        { ...job(branch.id, lineage, { start, training: branch.training, ...(branchMaskId ? { maskId: branchMaskId } : {}) }), model: trunk.model },
        signal,
      );
      const kind = branch.round === 0 ? 'dense' : branch.kind;
      return { result, row: rowOf(branch.id, trunk, kind, k, branch.round, branch.copy, remaining, result, branchMaskId, rewindId) };
    };

    for (const round of chain.rounds) {
      const label = (b: BranchPlan) => `k=${k}it round ${round.round} ${b.kind}${b.copy ? ` copy ${b.copy}` : ''}`;
      let ticketMask = maskId;
      let remaining = 1;
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
        await ports.events.emit({ type: 'ticket.found', experiment: ticket.id, maskId: ticketMask!, rewindId });
        weightsId = record.result.finalId;
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
      await Promise.all(
        [...round.controls, ...round.copies].map((branch) =>
          once(branch.id, label(branch), async () => train(branch, await branchMask(branch), remaining)),
        ),
      );
    }
  };

  await Promise.all(plan.trunks.map(runTrunk));
  return { plan, rows: orderedRows(plan, rows) };
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
