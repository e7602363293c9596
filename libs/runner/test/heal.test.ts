/** Corrupt checkpoints heal: the experiment that produced one runs again, and the sweep ends as if nothing happened. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CorruptCheckpointError, planSweep } from '@rewind/core';
import { runSweep, type SweepEvent } from '../src/index.ts';
import { interpreterSpec, memoryPorts } from './in-memory-ports.ts';

const spec = interpreterSpec({ stability: { copies: 2, rounds: [0, 2] } });
const plan = planSweep(spec);
const trunkId = plan.trunks[0]!.id;
const isTrunk = (job: { lineage: { round?: number } }) => job.lineage.round === undefined;
const corruptEvents = (log: readonly SweepEvent[]) => log.filter((e) => e.type === 'checkpoint.corrupt');

async function undisturbed() {
  const ports = memoryPorts();
  const outcome = await runSweep(spec, ports);
  const ticket = (k: number, round: number) => outcome.rows.find((r) => r.kind === 'ticket' && r.rewindStep === k && r.round === round && r.copy === 0)!;
  // Round 1 prunes the trunk's weights in every chain: each round-1 ticket produced the same mask.
  return { ports, outcome, wk: ticket(10, 1).rewindId!, mask: ticket(0, 1).maskId!, maskOwners: [ticket(0, 1).experiment, ticket(10, 1).experiment] };
}

test('a W_k and a mask that rot mid-sweep are recomputed by their producers, and the rows are those of an undisturbed run', async () => {
  const { outcome, wk, mask, maskOwners } = await undisturbed();
  let rotted = false;
  const ports = memoryPorts({
    onTrain: (job) => {
      // Once round 1 is trained everywhere, before round 2 reads them again.
      if (!rotted && job.lineage.round === 2) {
        rotted = true;
        ports.store.damaged.add(wk).add(mask);
      }
    },
  });
  const healed = await runSweep(spec, ports);
  assert.ok(rotted);
  assert.deepEqual(healed.rows, outcome.rows);
  assert.deepEqual(healed.analyses, outcome.analyses);
  const events = corruptEvents(ports.events.log);
  assert.equal(events.length, 2);
  assert.deepEqual(events.find((e) => e.id === wk), { type: 'checkpoint.corrupt', id: wk, experiment: trunkId });
  assert.ok(maskOwners.includes(events.find((e) => e.id === mask)!.experiment));
  assert.equal(ports.store.damaged.size, 0, 'both were stored again');
  const trunkRuns = ports.trained.filter(isTrunk);
  assert.equal(trunkRuns.length, 2, 'the trunk trained once more, for W_k');
  assert.notEqual(trunkRuns[1]!.id, trunkId, 'under a job id of its own: the finished job would answer without training');
  assert.deepEqual(ports.ledger.entries.get(trunkId), (await undisturbed()).ports.ledger.entries.get(trunkId), 'the ledger keeps the record it had');
});

test('a recomputation that stores another id fails the sweep, naming the checkpoint', async () => {
  const first = memoryPorts();
  const { wk } = await undisturbed();
  await runSweep(spec, first);
  first.store.damaged.add(wk);
  // The rerun finds the trunk in the ledger; training it again is no longer deterministic.
  let trunkRuns = 0;
  const second = memoryPorts({ store: first.store, ledger: new Map([[trunkId, first.ledger.entries.get(trunkId)]]), salt: (job) => (isTrunk(job) ? String(++trunkRuns) : '') });
  await assert.rejects(runSweep(spec, second), (err: Error) => {
    assert.ok(err instanceof CorruptCheckpointError);
    assert.match(err.message, new RegExp(`^checkpoint ${wk} is corrupt and recomputing ${trunkId} gave [0-9a-f]{64}$`));
    return true;
  });
  assert.equal(trunkRuns, 1);
});

test('a checkpoint that stays corrupt is recomputed once, then the sweep fails naming it: no loop', async () => {
  const first = memoryPorts();
  const { wk } = await undisturbed();
  await runSweep(spec, first);
  first.store.stuck.add(wk);
  const second = memoryPorts({ store: first.store, ledger: new Map([[trunkId, first.ledger.entries.get(trunkId)]]) });
  await assert.rejects(runSweep(spec, second), new RegExp(`^CorruptCheckpointError: checkpoint ${wk} is corrupt \\(memory\\)$`));
  assert.equal(corruptEvents(second.events.log).length, 1);
  assert.equal(second.trained.filter(isTrunk).length, 1, 'the trunk was recomputed once');
});

test('a corrupt checkpoint the sweep did not produce cannot be recomputed: the sweep fails naming it', async () => {
  const stranger = 'f'.repeat(64);
  const victim = plan.chains[0]!.rounds[1]!.ticket!.id;
  const ports = memoryPorts({ fail: (job) => (job.id === victim ? new Error(`training job ${job.id} failed on t1: checkpoint ${stranger} is corrupt (resume)`) : undefined) });
  await assert.rejects(runSweep(spec, ports), new RegExp(`checkpoint ${stranger} is corrupt \\(resume\\); this sweep did not produce checkpoint ${stranger}, so it cannot recompute it`));
  assert.equal(corruptEvents(ports.events.log).length, 0);
});
