/**
 * `rewind find-rewind <spec> [--round R]`: the earliest saved rewind point whose subnet at round R is
 * stable (error barrier under the threshold). Probes gallop then bisect over the spec's rewind points,
 * and every probe's trainings land in the run's ledger, so nothing is trained twice.
 */
import { join } from 'node:path';
import { renderTable, type SweepSpec } from '@rewind/core';
import { planSweep } from '@rewind/core';
import { defaultOptions, type LinearModeResult } from '@rewind/kinds';
import { writeFileAtomic } from '@rewind/local';
import { runSweep } from '@rewind/runner';
import { findEarliestStableRewind } from '@rewind/stability';
import { embeddedPorts } from '../embedded.ts';
import { defaultRunDir } from './run.ts';
import { readPreparedSpecFile, UsageError } from '../spec-file.ts';

export async function findRewindCommand(specPath: string, roundText: string | undefined, outDir: string | undefined): Promise<number> {
  const { spec } = await readPreparedSpecFile(specPath);
  const round = roundText === undefined ? spec.pruning.rounds : Number(roundText);
  if (!Number.isInteger(round) || round < 0 || round > spec.pruning.rounds) {
    throw new UsageError(`--round must be an integer between 0 and pruning.rounds (${spec.pruning.rounds}), found ${roundText}`);
  }
  const probeSpec: SweepSpec = {
    ...spec,
    controls: [],
    pruning: { ...spec.pruning, rounds: round },
    stability: {
      analyses: ['linear_mode'],
      copies: 2,
      options: spec.stability?.options ?? defaultOptions(),
      rounds: [round],
    },
  };
  const runDir = outDir ?? defaultRunDir(spec);
  let trained = 0;
  const ports = embeddedPorts(runDir, {
    onEvent: (e) => {
      if (e.type === 'progress' && !e.cached) {
        trained++;
        process.stderr.write(`  trained ${e.label}\n`);
      }
    },
  });
  const candidates = planSweep(probeSpec).trunks[0]!.rewindSteps;
  const seed = spec.seeds[0]!;
  process.stderr.write(`rewind: finding the earliest stable k among ${candidates.join(', ')} at round ${round}, seed ${seed} → ${runDir}\n`);

  const { chosen, probes } = await findEarliestStableRewind(candidates, async (k) => {
    const { analyses } = await runSweep({ ...probeSpec, seeds: [seed] }, ports, undefined, { rewindSteps: [k] });
    const a = analyses.find((x) => x.rewindStep === k && x.round === round && x.analysis === 'linear_mode' && (x.kind === 'ticket' || x.kind === 'dense'));
    if (!a) throw new Error(`no linear-mode analysis came back for k=${k}`);
    const result = a.result as LinearModeResult;
    process.stderr.write(`  k=${k}it: test barrier ${(100 * result.testBarrier).toFixed(2)}% → ${result.stable ? 'stable' : 'unstable'}\n`);
    return { stable: result.stable, barrier: result.testBarrier };
  });
  const table = renderTable(
    ['probe', 'k', 'test barrier %', 'stable'],
    probes.map((p, i) => [String(i + 1), `${p.step}it`, (100 * p.barrier).toFixed(2), p.stable ? 'yes' : 'no']),
  );
  const verdict = chosen === null ? 'no saved rewind point is stable' : `earliest stable rewind point: k = ${chosen}it`;
  process.stdout.write(`${table}\n${verdict} (round ${round}; ${probes.length} probes of ${candidates.length} candidates, ${trained} trainings run)\n`);
  await writeFileAtomic(join(runDir, `find-rewind-round-${round}.json`), `${JSON.stringify({ round, seed, candidates, chosen, probes, trainings: trained }, null, 2)}\n`);
  return 0;
}
