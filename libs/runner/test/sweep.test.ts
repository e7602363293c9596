/** The interpreter alone, against in-memory ports: what runs, in which order, once, and what comes back. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countAlive, planSweep } from '@rewind/core';
import type { LinearModeJob } from '@rewind/kinds';
import { runSweep } from '../src/index.ts';
import { interpreterSpec, memoryPorts } from './in-memory-ports.ts';

const spec = interpreterSpec;

const stable = () => spec({ stability: { copies: 2, rounds: [0, 2] } });

test('every planned training runs once, the trunk first, each chain round after round', async () => {
  const s = stable();
  const ports = memoryPorts();
  const outcome = await runSweep(s, ports);
  const plan = planSweep(s);
  assert.equal(ports.trained.length, plan.trainings);
  assert.equal(new Set(ports.trained.map((j) => j.id)).size, plan.trainings, 'no experiment trains twice');
  assert.equal(ports.trained[0]!.id, plan.trunks[0]!.id);
  for (const chain of plan.chains) {
    const order = ports.trained.filter((j) => j.lineage.rewindStep === chain.rewindStep && j.id !== plan.trunks[0]!.id).map((j) => j.lineage.round!);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `k=${chain.rewindStep}: rounds in order`);
  }
  assert.equal(outcome.rows.length, plan.trainings);
  const progress = ports.events.log.filter((e) => e.type === 'progress');
  assert.deepEqual(progress.map((e) => e.done), Array.from({ length: plan.trainings }, (_, i) => i + 1));
});

test('the dense net retrained from W_0 on the trunk\'s data order is the trunk: planned once, trained once', () => {
  const plan = planSweep(stable());
  const atZero = plan.chains.find((c) => c.rewindStep === 0)!.rounds[0]!;
  const copy0 = atZero.copies.find((b) => b.copy === 0)!;
  assert.equal(copy0.id, plan.trunks[0]!.id);
  const atTen = plan.chains.find((c) => c.rewindStep === 10)!.rounds[0]!;
  assert.notEqual(atTen.copies.find((b) => b.copy === 0)!.id, plan.trunks[0]!.id);
});

test('a ledger that holds finished work is resumed: nothing trains twice, the outcome is the same', async () => {
  const s = stable();
  const first = memoryPorts();
  const whole = await runSweep(s, first);
  // Keep only the trunk and the first half of the other experiments, as after a crash.
  const kept = new Map([...first.ledger.entries].slice(0, Math.ceil(first.ledger.entries.size / 2)));
  const before = new Set(kept.keys());
  const second = memoryPorts({ store: first.store, ledger: kept });
  const resumed = await runSweep(s, second);
  assert.deepEqual(resumed.rows, whole.rows);
  assert.deepEqual(resumed.analyses, whole.analyses);
  assert.ok(second.trained.every((j) => !before.has(j.id)), 'finished experiments are read back, not trained');
  assert.ok(second.trained.length < first.trained.length);
  const third = memoryPorts({ store: first.store, ledger: second.ledger.entries });
  await runSweep(s, third);
  assert.equal(third.trained.length, 0);
});

test('a failed training fails the sweep with its error; a rerun trains only what is missing', async () => {
  const s = spec();
  const plan = planSweep(s);
  const victim = plan.chains[1]!.rounds[2]!.ticket!.id;
  const failing = memoryPorts({ fail: (job) => (job.id === victim ? new Error('out of memory on the trainer') : undefined) });
  await assert.rejects(runSweep(s, failing), /out of memory on the trainer/);
  const doneBefore = new Set(failing.ledger.entries.keys());
  const retry = memoryPorts({ store: failing.store, ledger: failing.ledger.entries });
  const outcome = await runSweep(s, retry);
  assert.equal(outcome.rows.length, plan.trainings);
  assert.ok(retry.trained.some((j) => j.id === victim));
  assert.ok(retry.trained.every((j) => !doneBefore.has(j.id)));
});

test('cancelling stops the sweep: it rejects with the abort, and no training starts afterwards', async () => {
  const abort = new AbortController();
  let startedAfterAbort = 0;
  const ports = memoryPorts({
    onTrain: () => {
      if (abort.signal.aborted) startedAfterAbort++;
      if (ports.trained.length === 2) abort.abort(new DOMException('cancelled by the user', 'AbortError'));
    },
  });
  await assert.rejects(runSweep(spec(), ports, abort.signal), /cancelled by the user/);
  assert.equal(startedAfterAbort, 0);
  assert.ok(ports.trained.length < planSweep(spec()).trainings);
});

test('stopping during the analyses: the running analysis gets the signal, and none starts after the stop', async () => {
  const abort = new AbortController();
  const signals: (AbortSignal | undefined)[] = [];
  const ports = memoryPorts({
    onAnalyze: (_job, signal) => {
      signals.push(signal);
      if (signals.length === 2) abort.abort(new DOMException('stopping', 'AbortError'));
    },
  });
  await assert.rejects(runSweep(spec({ stability: { copies: 2, rounds: [0, 2] } }), ports, abort.signal), /stopping/);
  assert.equal(signals.length, 2, 'no analysis started after the stop');
  assert.ok(signals.every((s) => s === abort.signal));
  assert.equal(ports.analysed.length, 1, 'the analysis running at the stop gave up');
});

test('controls start as their kinds say: random_reinit from fresh weights at k, random_pruning from W_k with a random mask of the ticket\'s counts', async () => {
  const ports = memoryPorts();
  const outcome = await runSweep(spec(), ports);
  for (const k of [0, 10]) {
    for (const round of [1, 2]) {
      const at = (kind: string) => outcome.rows.find((r) => r.kind === kind && r.rewindStep === k && r.round === round && r.copy === 0)!;
      const jobOf = (kind: string) => ports.trained.find((j) => j.id === at(kind).experiment)!;
      const ticket = jobOf('ticket');
      const reinit = jobOf('random_reinit');
      const random = jobOf('random_pruning');
      assert.ok('checkpointId' in ticket.start);
      assert.deepEqual(reinit.start, { initSeed: (reinit.start as { initSeed: number }).initSeed, step: k });
      assert.equal(reinit.maskId, ticket.maskId, 'random_reinit keeps the ticket mask');
      assert.deepEqual(random.start, ticket.start, 'random_pruning rewinds to the same W_k');
      assert.notEqual(random.maskId, ticket.maskId);
      const [ticketMask, randomMask] = await Promise.all([ports.store.getMask(ticket.maskId!), ports.store.getMask(random.maskId!)]);
      for (const layer of Object.keys(ticketMask.value)) {
        assert.deepEqual(countAlive({ [layer]: randomMask.value[layer]! }), countAlive({ [layer]: ticketMask.value[layer]! }), `${layer}: same count`);
      }
      assert.equal(at('random_reinit').weightsRemaining, at('ticket').weightsRemaining);
    }
  }
});

test('analyses per kind: pruning for pruned subnets only, data-order and linear-mode over two copies, with the spec\'s options', async () => {
  const s = spec({ stability: { copies: 2, rounds: [0, 2], alpha_points: 7, path_examples: 99 } });
  const ports = memoryPorts();
  const outcome = await runSweep(s, ports);
  const kindsAt = (round: number) => new Set(outcome.analyses.filter((a) => a.round === round).map((a) => `${a.kind}:${a.analysis}`));
  assert.deepEqual([...kindsAt(0)].sort(), ['dense:data_order', 'dense:linear_mode']);
  assert.deepEqual(
    [...kindsAt(2)].sort(),
    ['random_pruning', 'random_reinit', 'ticket'].flatMap((k) => [`${k}:data_order`, `${k}:linear_mode`, `${k}:pruning`]).sort(),
  );
  assert.equal(outcome.analyses.filter((a) => a.round === 1).length, 0, 'round 1 is not analysed');
  const linear = ports.analysed.filter((j): j is LinearModeJob => j.analysis === 'linear_mode');
  assert.ok(linear.length > 0 && linear.every((j) => j.alphaPoints === 7 && j.pathExamples === 99 && j.threshold === 0.02 && j.copyIds.length === 2));
  // A rerun reads every analysis back from the ledger.
  const rerun = memoryPorts({ store: ports.store, ledger: ports.ledger.entries });
  assert.deepEqual((await runSweep(s, rerun)).analyses, outcome.analyses);
  assert.equal(rerun.analysed.length, 0);
});

test('the dense accuracy of the table is the trunk\'s, not a mean with nets retrained from W_k', async () => {
  const { formatAccuracyTable } = await import('@rewind/core');
  const outcome = await runSweep(stable(), memoryPorts());
  const trunk = outcome.rows.find((r) => r.experiment === r.trunk)!;
  const retrained = outcome.rows.filter((r) => r.kind === 'dense' && r.rewindStep === 10 && r.copy === 0);
  assert.equal(retrained.length, 1);
  assert.notEqual(retrained[0]!.finalAccuracy, trunk.finalAccuracy);
  assert.match(formatAccuracyTable(outcome.rows), new RegExp(`dense test accuracy: ${(100 * trunk.finalAccuracy).toFixed(2)}%`));
});

test('a training whose test loss stops being finite is a row that says where it diverged, not a chance accuracy in the mean', async () => {
  const { formatAccuracyTable } = await import('@rewind/core');
  let victim: string | undefined;
  const ports = memoryPorts({
    divergeAt: (job) => {
      if (victim === undefined && job.maskId !== undefined) victim = job.id;
      return job.id === victim ? 40 : undefined;
    },
  });
  const outcome = await runSweep(stable(), ports);
  const diverged = outcome.rows.filter((r) => r.divergedAt !== undefined);
  assert.deepEqual(diverged.map((r) => [r.experiment, r.divergedAt]), [[victim, 40]]);
  const table = formatAccuracyTable(outcome.rows);
  assert.match(table, new RegExp(`diverged: ${victim} \\(.*\\) at step 40: its test loss is not finite`));
  assert.match(table, /diverged@40/);
  assert.doesNotMatch(table, /10\.00/, 'the diverged net\'s chance accuracy is not shown or averaged');
});
