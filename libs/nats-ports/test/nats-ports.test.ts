import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CorruptCheckpointError, type DatasetHparams, type ModelHparams, type TrainingHparams } from '@rewind/core';
import { freePort, } from '@rewind/dev-cluster';
import type { Trainer, TrainJob, TrainJobResult } from '@rewind/runner';
import { ServerUnavailableError } from '@rewind/rpc';
import {
  connectNats,
  JOB_RESULTS_BUCKET,
  JobOutcomeWatch,
  JobResults,
  KvLedger,
  NatsEventSink,
  NatsTrainer,
  NatsUnavailableError,
  replayEvents,
  safeKey,
  TrainJobFailedError,
  TrainWorker,
} from '../src/index.ts';
import { useJetStream } from '../../../test/support/jetstream-fixture.ts';

const model: ModelHparams = { name: 'mnist_lenet_300_100', width: 1, initSeed: 0 };
const dataset: DatasetHparams = { name: 'synthetic', dir: '', trainSubset: 0 };
const d = (iterations: number) => ({ epochs: 0, iterations });
const training: TrainingHparams = {
  optimizer: 'sgd',
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 0,
  batchSize: 8,
  steps: d(10),
  warmup: d(0),
  milestones: [],
  gamma: 0.1,
  dataOrderSeed: 1,
  evalEvery: d(5),
};
const jobOf = (id: string): TrainJob => ({
  id,
  model,
  dataset,
  training,
  start: { initSeed: 3, step: 0 },
  endStep: 10,
  snapshotAt: [2],
  checkpointEvery: 5,
  lineage: { experiment: id, trunk: id },
});
const resultOf = (job: TrainJob, resumedFrom = 0): TrainJobResult => ({
  finalId: `final-of-${job.id}`,
  snapshotIds: { '2': `snap-of-${job.id}` },
  evals: [{ step: 10, loss: 0.5, accuracy: 0.75 }],
  trainLoss: 0.4,
  backend: 'test',
  wallMs: 1,
  resumedFrom,
  prunable: ['fc1.weight'],
});

/** Stands in for the engine at the transport boundary: records what it was asked to do. */
class RecordingTrainer implements Trainer {
  readonly calls: string[] = [];
  constructor(private readonly behave: (job: TrainJob, signal?: AbortSignal) => Promise<TrainJobResult>) {}
  train(job: TrainJob, signal?: AbortSignal): Promise<TrainJobResult> {
    this.calls.push(job.id);
    return this.behave(job, signal);
  }
}

const until = (signal: AbortSignal | undefined) =>
  new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));

describe('NATS ports against a real nats-server', () => {
  const js = useJetStream('rewind-nats-');
  const quiet = () => {};
  let outcomes: JobOutcomeWatch;
  before(async () => {
    outcomes = new JobOutcomeWatch(await JobResults.open(js.nc));
  });
  after(() => outcomes.stop());

  it('keeps ledger entries across connections, whatever the key', async () => {
    const ledger = await KvLedger.open(js.nc);
    assert.equal(await ledger.get('never-written'), undefined);
    await ledger.put('trunk_ab:cd e/ü', { row: 1 });
    const other = await connectNats(js.url, { name: 'other' });
    assert.deepEqual(await (await KvLedger.open(other)).get('trunk_ab:cd e/ü'), { row: 1 });
    await other.close();
    assert.notEqual(safeKey('a:b'), safeKey('a=3ab'));
  });

  it('runs a job on a worker and returns its result; a resubmitted job is not run again', async () => {
    const inner = new RecordingTrainer(async (job) => resultOf(job));
    const worker = await TrainWorker.open(js.nc, inner, { name: 'w1', ackWaitMs: 5000, maxDeliver: 3, log: quiet });
    worker.start();
    const trainer = new NatsTrainer(js.nc, outcomes, 'sweep1');
    const job = jobOf('job-a');
    assert.deepEqual(await trainer.train(job), resultOf(job));
    assert.deepEqual(await trainer.train(job), resultOf(job));
    assert.deepEqual(inner.calls, ['job-a']);
    await worker.stop(1000);
  });

  it('keeps a long job with its trainer through heartbeats, past several ack-waits', async () => {
    const slow = new RecordingTrainer(async (job) => {
      await new Promise((r) => setTimeout(r, 3500));
      return resultOf(job);
    });
    const other = new RecordingTrainer(async (job) => resultOf(job));
    const w1 = await TrainWorker.open(js.nc, slow, { name: 'slow', ackWaitMs: 1000, maxDeliver: 3, log: quiet });
    w1.start();
    const trainer = new NatsTrainer(js.nc, outcomes, 'sweep1');
    const pending = trainer.train(jobOf('job-long'));
    while (slow.calls.length === 0) await new Promise((r) => setTimeout(r, 50));
    const w2 = await TrainWorker.open(js.nc, other, { name: 'other', ackWaitMs: 1000, maxDeliver: 3, log: quiet });
    w2.start();
    await pending;
    assert.deepEqual(slow.calls, ['job-long']);
    assert.deepEqual(other.calls, []);
    await Promise.all([w1.stop(1000), w2.stop(1000)]);
  });

  it('redelivers the job of a trainer that vanished without acking, exactly once in the results', async () => {
    const doomedConn = await connectNats(js.url, { name: 'doomed' });
    const hang = new RecordingTrainer((_job, signal) => until(signal));
    const doomed = await TrainWorker.open(doomedConn, hang, { name: 'doomed', ackWaitMs: 1000, maxDeliver: 3, log: quiet });
    doomed.start();
    const trainer = new NatsTrainer(js.nc, outcomes, 'sweep1');
    const pending = trainer.train(jobOf('job-orphan'));
    while (hang.calls.length === 0) await new Promise((r) => setTimeout(r, 50));
    // The trainer's process dies: its connection goes, no nak, no ack, heartbeats stop.
    await doomedConn.close();
    await doomed.stop(0);
    const rescuer = new RecordingTrainer(async (job) => resultOf(job, 5));
    const w2 = await TrainWorker.open(js.nc, rescuer, { name: 'rescuer', ackWaitMs: 1000, maxDeliver: 3, log: quiet });
    w2.start();
    const result = await pending;
    assert.equal(result.resumedFrom, 5);
    assert.deepEqual(rescuer.calls, ['job-orphan']);
    await w2.stop(1000);
  });

  it('hands a job back on graceful shutdown so another trainer takes it at once', async () => {
    const hang = new RecordingTrainer((_job, signal) => until(signal));
    const w1 = await TrainWorker.open(js.nc, hang, { name: 'leaving', ackWaitMs: 60_000, maxDeliver: 3, log: quiet });
    w1.start();
    const trainer = new NatsTrainer(js.nc, outcomes, 'sweep1');
    const pending = trainer.train(jobOf('job-handback'));
    while (hang.calls.length === 0) await new Promise((r) => setTimeout(r, 50));
    await w1.stop(100);
    const w2 = await TrainWorker.open(js.nc, new RecordingTrainer(async (job) => resultOf(job)), {
      name: 'staying',
      ackWaitMs: 60_000,
      maxDeliver: 3,
      log: quiet,
    });
    w2.start();
    assert.equal((await pending).finalId, 'final-of-job-handback');
    await w2.stop(1000);
  });

  it('records a job that keeps failing as failed, with the reason', async () => {
    const failing = new RecordingTrainer(async () => {
      throw new Error('dataset "nowhere" not found');
    });
    const w = await TrainWorker.open(js.nc, failing, { name: 'w', ackWaitMs: 5000, maxDeliver: 1, log: quiet });
    w.start();
    const trainer = new NatsTrainer(js.nc, outcomes, 'sweep1');
    await assert.rejects(trainer.train(jobOf('job-bad')), (err: Error) => {
      assert.ok(err instanceof TrainJobFailedError);
      assert.match(err.message, /job-bad failed on w: dataset "nowhere" not found/);
      return true;
    });
    await w.stop(1000);
  });

  it('outlasts a store outage on one delivery: the job runs again as the outage passes, using up no deliveries', async () => {
    let outages = 2;
    const flaky = new RecordingTrainer(async (job) => {
      if (outages-- > 0) throw new ServerUnavailableError('checkpoint-store at 127.0.0.1:1 unavailable after 600 s of retries');
      return resultOf(job);
    });
    const lines: string[] = [];
    const w = await TrainWorker.open(js.nc, flaky, { name: 'w', ackWaitMs: 5000, maxDeliver: 1, outageDeadlineMs: 60_000, log: (l) => lines.push(l) });
    w.start();
    const trainer = new NatsTrainer(js.nc, outcomes, 'sweep1');
    assert.equal((await trainer.train(jobOf('job-outage'))).finalId, 'final-of-job-outage');
    assert.deepEqual(flaky.calls, ['job-outage', 'job-outage', 'job-outage'], 'run again on the same, single delivery');
    assert.equal(lines.filter((l) => /waits out an outage: checkpoint-store .* unavailable/.test(l)).length, 2);
    await w.stop(1000);
  });

  it('without an outage deadline, an outage is a failed delivery like any other', async () => {
    const down = new RecordingTrainer(async () => {
      throw new ServerUnavailableError('checkpoint-store unavailable');
    });
    const w = await TrainWorker.open(js.nc, down, { name: 'w', ackWaitMs: 5000, maxDeliver: 1, log: quiet });
    w.start();
    await assert.rejects(new NatsTrainer(js.nc, outcomes, 'sweep1').train(jobOf('job-no-patience')), /checkpoint-store unavailable/);
    assert.deepEqual(down.calls, ['job-no-patience']);
    await w.stop(1000);
  });

  it('records a job whose input checkpoint is corrupt as failed on its first delivery, naming the checkpoint', async () => {
    const id = 'ab'.repeat(32);
    const corrupt = new RecordingTrainer(async () => {
      throw new CorruptCheckpointError(id, `checkpoint ${id} is corrupt: its bytes hash to something else`);
    });
    const w = await TrainWorker.open(js.nc, corrupt, { name: 'w', ackWaitMs: 5000, maxDeliver: 3, log: quiet });
    w.start();
    const trainer = new NatsTrainer(js.nc, outcomes, 'sweep1');
    await assert.rejects(trainer.train(jobOf('job-corrupt-input')), new RegExp(`checkpoint ${id} is corrupt`));
    assert.deepEqual(corrupt.calls, ['job-corrupt-input'], 'no retry: every delivery would read the same bytes');
    await w.stop(1000);
  });

  it('hands each of many waiting jobs its own outcome through one consumer, whenever it was recorded', async () => {
    const results = await JobResults.open(js.nc);
    const outcomeOf = (jobId: string) => ({ jobId, trainer: `t-${jobId}`, outcome: { $case: 'error' as const, value: `reason ${jobId}` } });
    await results.record(outcomeOf('early'));
    const ids = Array.from({ length: 50 }, (_, i) => `many-${i}`);
    const waits = ids.map((id) => outcomes.wait(id));
    const aborted = new AbortController();
    const abandoned = outcomes.wait('never-recorded', aborted.signal);
    assert.equal((await outcomes.wait('early')).trainer, 't-early');
    const jsm = await js.nc.jetstreamManager();
    const consumers = await jsm.consumers.list(`KV_${JOB_RESULTS_BUCKET}`).next();
    assert.equal(consumers.length, 1, 'one watch for every waiting job');
    for (const id of [...ids].reverse()) await results.record(outcomeOf(id));
    assert.deepEqual((await Promise.all(waits)).map((o) => o.trainer), ids.map((id) => `t-${id}`));
    aborted.abort(new Error('gave up'));
    await assert.rejects(abandoned, /gave up/);
  });

  it('stores events durably, drops re-emitted ones, and replays them in order', async () => {
    const sink = new NatsEventSink(js.nc, 'sweep-ev');
    await sink.emit({ type: 'progress', done: 1, total: 2, label: 'trunk' });
    await sink.emit({ type: 'ticket.found', experiment: 'e1', maskId: 'm1', rewindId: 'r1', finalId: 'f1' });
    await sink.emit({ type: 'ticket.found', experiment: 'e1', maskId: 'm1', rewindId: 'r1', finalId: 'f1' });
    await sink.emit({ type: 'round.completed', experiment: 'e1', row: { accuracy: 0.5 } });
    const all = [];
    for await (const e of replayEvents(js.nc, 'sweep-ev', { follow: false })) all.push(e);
    assert.deepEqual(
      all.map((e) => e.event?.$case),
      ['progress', 'ticketFound', 'roundCompleted'],
    );
    assert.ok(all[0]!.sequence < all[1]!.sequence);
    const rest = [];
    for await (const e of replayEvents(js.nc, 'sweep-ev', { follow: false, afterSequence: all[0]!.sequence })) rest.push(e);
    assert.equal(rest.length, 2);

    // Following: live events arrive until the sweep finishes.
    const followed: string[] = [];
    const follower = (async () => {
      for await (const e of replayEvents(js.nc, 'sweep-ev', { follow: true, afterSequence: all[2]!.sequence })) {
        followed.push(e.event!.$case);
      }
    })();
    await sink.emit({ type: 'progress', done: 2, total: 2, label: 'round 1' });
    await sink.publish({ $case: 'sweepFinished', value: { state: 2, error: '', attempt: 0 } });
    await follower;
    assert.deepEqual(followed, ['progress', 'sweepFinished']);

    // A resumed sweep: a follower from the start passes over the first attempt's end and stops at the second's.
    await sink.publish({ $case: 'sweepResumed', value: { attempt: 1 } });
    const resumedFollower = (async () => {
      const seen: string[] = [];
      for await (const e of replayEvents(js.nc, 'sweep-ev', { follow: true })) seen.push(e.event!.$case);
      return seen;
    })();
    await sink.emit({ type: 'progress', done: 3, total: 3, label: 'round 2' });
    await sink.publish({ $case: 'sweepFinished', value: { state: 2, error: '', attempt: 1 } });
    assert.deepEqual(await resumedFollower, ['progress', 'ticketFound', 'roundCompleted', 'progress', 'sweepResumed', 'progress', 'sweepFinished']);

    // A trainer's line about a dropped job may land after the end (a cancelled sweep): the end is still the end.
    await sink.emit({ type: 'job.log', experiment: 'e2', jobId: 'j1', trainer: 't1', line: 'job j1 belongs to cancelled sweep sweep-ev, dropping it' });
    const late: string[] = [];
    for await (const e of replayEvents(js.nc, 'sweep-ev', { follow: true, afterSequence: all[2]!.sequence, signal: AbortSignal.timeout(10_000) })) {
      late.push(e.event!.$case);
    }
    assert.equal(late.at(-1), 'sweepFinished', `a follower ended at the sweep's end, not at its deadline: ${late.join(', ')}`);
  });

  it('fails with an error naming the server when NATS is down', async () => {
    const port = await freePort();
    await assert.rejects(connectNats(`nats://127.0.0.1:${port}`, { name: 'x', attempts: 2, delayMs: 10 }), (err: Error) => {
      assert.ok(err instanceof NatsUnavailableError);
      assert.match(err.message, new RegExp(`nats://127.0.0.1:${port}`));
      return true;
    });
  });
});
