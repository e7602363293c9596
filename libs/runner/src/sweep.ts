/**
 * Runs a sweep plan against ports. Every finished experiment goes into the ledger under its hash, so
 * running the same spec again (after a crash, or on a restarted coordinator) skips finished work and
 * continues where it stopped. IMP chains for different rewind points proceed concurrently; each
 * chain's rounds run in order, since round r prunes round r−1's trained weights.
 */
import { orderedRows, planSweep, type ResultRow, type SweepPlan, type SweepSpec } from '@rewind/core';
import type { AnalysisRow } from '@rewind/kinds';
import type { SweepPorts } from './ports.ts';
import { SweepRun } from './sweep-run.ts';

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
  const run = new SweepRun(spec, plan, ports, signal);
  const chains = plan.chains.filter((c) => !options.rewindSteps || options.rewindSteps.includes(c.rewindStep));
  await Promise.all(plan.trunks.map((trunk) => run.trunk(trunk, chains.filter((c) => c.trunkId === trunk.id))));
  return { plan, rows: orderedRows(plan, run.rows), analyses: run.analyses() };
}
