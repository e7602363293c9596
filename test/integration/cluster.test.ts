/**
 * Acceptance tests of the distributed mode: every service in its own process, real nats-server, real
 * s3rver, real gRPC, real training. Results must equal the embedded run's exactly (content ids).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CoordinatorClient } from '@rewind/cluster-client';
import { GrpcCheckpointStore, type RemoteError, SweepState } from '@rewind/rpc';
import { type Cluster, rewindCommand, scaled, startCluster } from '@rewind/dev-cluster';
import { formatResults, type SweepResults } from '@rewind/kinds';
import { connectNats, JobResults } from '@rewind/nats-ports';
import {
  clusterFingerprint,
  embeddedRun,
  type Fingerprint,
  jobOutcomeCount,
  runOnCluster,
  SPEC,
  tempDir,
} from './cluster-helpers.ts';

process.env.REWIND_THREADS ??= '1';
/** `rewind <args>` against `cluster`'s coordinator, its output. */
const rewindCli = async (cluster: Cluster, ...args: string[]): Promise<string> => {
  const { command, args: bundle } = await rewindCommand();
  return execFileSync(command, [...bundle, ...args, '--coordinator', cluster.addresses.coordinator], { encoding: 'utf8', env: { ...process.env, ...cluster.cliEnv }, timeout: scaled(60_000) });
};

/**
 * Until the trainer has saved a resumable checkpoint of `job`. A read may fail meanwhile: s3rver writes an
 * object in place, so a GET during the trainer's PUT of the ref can see it empty ("ref … is required").
 */
async function untilResumable(store: GrpcCheckpointStore, job: string): Promise<void> {
  const deadline = Date.now() + scaled(60_000);
  let last = 'not saved yet';
  while (Date.now() < deadline) {
    try {
      if ((await store.getRef(`resume/${job}`)) !== undefined) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no resumable checkpoint of ${job} within ${scaled(60_000)} ms (last: ${last})`);
}

describe('cluster mode', () => {
  let reference: Fingerprint;
  let referenceResults: SweepResults;
  let experiments: string[];
  const dirs: string[] = [];
  // Every cluster started, so that one a failed test leaves running is stopped too: its processes would
  // otherwise keep this file's process, and its slot in the run, alive for good.
  const clusters: Cluster[] = [];

  const start = async (trainers: number): Promise<Cluster> => {
    const dir = await tempDir('cluster');
    dirs.push(dir);
    const cluster = await startCluster({ dir, trainers, ackWaitMs: 3000, env: { REWIND_THREADS: process.env.REWIND_THREADS! } });
    clusters.push(cluster);
    return cluster;
  };

  before(async () => {
    ({ fingerprint: reference, results: referenceResults } = await embeddedRun());
    experiments = Object.keys(reference);
    assert.equal(experiments.length, 9, 'trunk + 2 rewind points × 2 rounds × (ticket + random_reinit)');
  });

  after(async () => {
    await Promise.all(clusters.map((c) => c.stop()));
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('(a) completes a sweep with masks and weights bit-identical to the embedded run', async () => {
    const c = await start(1);
    const run = await runOnCluster(c);
    assert.equal(run.state, 'succeeded');
    assert.equal(run.tickets, 4);
    assert.deepEqual(await clusterFingerprint(c, experiments), reference);
    assert.equal(await jobOutcomeCount(c), experiments.length);
    // One product from both modes: the same sweep id, and `rewind show` against the cluster prints the embedded tables.
    assert.equal(run.sweepId, referenceResults.sweep);
    const shown = await rewindCli(c, 'show', run.sweepId);
    assert.equal(shown, formatResults(referenceResults));
    assert.match(shown, /dense test accuracy: \d+\.\d\d%/);
    // `rewind tickets` prints short ids that `rewind lineage` takes; the lineage reaches the rewind point W_k.
    const cli = (...args: string[]) => rewindCli(c, ...args);
    const row = (await cli('tickets', run.sweepId)).split('\n').find((l) => /^8\s+1\s+ticket_/.test(l));
    const [, , experiment, mask, rewind] = row!.trim().split(/\s+/) as [string, string, string, string, string];
    const lineage = await cli('lineage', mask);
    assert.match(lineage, new RegExp(`^mask ${mask} \\(${experiment}, round 1, k=8\\)`));
    assert.match(lineage, new RegExp(`\nrewinds to W_k:\nsnapshot ${rewind} \\(trunk_[0-9a-f]{16}, step 8\\)`));
    // `rewind watch` shows the trainers' progress on each job (step, loss) between finished trainings.
    const watched = await cli('watch', run.sweepId, '--log-every', '0');
    assert.match(watched, /^\d+\/\d+ · trunk_[0-9a-f]{16} · step 96\/96 · loss \d+\.\d{3}/m);
    assert.match(watched, /^\[9\/9\] /m);
    assert.match(watched, new RegExp(`^sweep ${run.sweepId} succeeded$`, 'm'));
    // The coordinator runs the same spec checks as `rewind run`, before any training: INVALID_ARGUMENT, fields named.
    const client = new CoordinatorClient(c.addresses.coordinator, { credentials: c.credentials });
    const typo = { ...SPEC, name: 'typo', pruning: { rounds: 2, exclude: ['fc9.kernel'] } };
    await assert.rejects(client.submit(JSON.stringify(typo)), (e: RemoteError) => e.code === status.INVALID_ARGUMENT && /pruning\.exclude: fc9\.kernel not a prunable layer/.test(e.message));
    const deep = { ...SPEC, name: 'deep', model: { name: 'imagenet_resnet_18' }, pruning: { rounds: 2 } };
    await assert.rejects(client.submit(JSON.stringify(deep)), (e: RemoteError) => e.code === status.INVALID_ARGUMENT && /needs inputs of at least 32x32/.test(e.message));
    await assert.rejects(client.lineage('42'), (e: RemoteError) => e.code === status.INVALID_ARGUMENT && /at least 8/.test(e.message));
    await assert.rejects(client.lineage('0000000000'), (e: RemoteError) => e.code === status.NOT_FOUND && /no ticket's mask id starts with 0000000000/.test(e.message));
    client.close();
    await c.stop();
  });

  it('(b) survives a trainer SIGKILLed mid-job: the job is redelivered and resumed, nothing lost or doubled', async () => {
    const c = await start(2);
    const store = new GrpcCheckpointStore(c.addresses.store, { credentials: c.credentials });
    const [first, second] = c.trainers as [Cluster['trainers'][number], Cluster['trainers'][number]];
    let killedJob: string | undefined;
    const run = await runOnCluster(c, async (label) => {
      if (killedJob !== undefined || !label.startsWith('dense trunk')) return;
      // Chains now fan out; kill the first trainer once it has saved a resumable checkpoint of its job.
      const took = /took job (\S+)/g;
      await first.waitFor(/took job (?!trunk)\S+/, 60_000);
      const jobs = [...first.log.matchAll(took)].map((m) => m[1]!).filter((j) => !j.startsWith('trunk'));
      killedJob = jobs.at(-1)!;
      await untilResumable(store, killedJob);
      await first.kill();
    });
    store.close();
    assert.equal(run.state, 'succeeded');
    assert.ok(killedJob, 'a trainer was killed mid-job');
    assert.match(second.log, /took job/, 'the second trainer took jobs too');
    assert.match(second.log, new RegExp(`took job ${killedJob}`), 'the killed job went to the surviving trainer');
    const nc = await connectNats(c.nats.url, { name: 'test', tls: c.operatorTls });
    const outcome = await (await JobResults.open(nc)).get(killedJob!);
    await nc.close();
    assert.equal(outcome?.trainer, 'trainer-2');
    assert.ok(outcome?.outcome?.$case === 'result' && outcome.outcome.value.resumedFrom > 0, 'resumed from its checkpoint');
    assert.deepEqual(await clusterFingerprint(c, experiments), reference);
    assert.equal(await jobOutcomeCount(c), experiments.length);
    assert.equal(run.tickets, 4);
    await c.stop();
  });

  it('(c) carries on after the coordinator restarts mid-sweep, with identical results', async () => {
    const c = await start(1);
    let restarted = false;
    const run = await runOnCluster(c, async (_label, done) => {
      if (restarted || done < 3) return;
      restarted = true;
      await c.coordinator.kill();
      await c.restartCoordinator();
    });
    assert.ok(restarted);
    assert.match(c.coordinator.log, /resumed 1 running sweep/);
    assert.equal(run.state, 'succeeded');
    assert.equal(run.tickets, 4, 'each ticket reported once, despite the coordinator re-emitting finished work');
    assert.equal(new Set(run.labels).size, run.labels.length, 'no progress step counted twice');
    assert.deepEqual(await clusterFingerprint(c, experiments), reference);
    assert.equal(await jobOutcomeCount(c), experiments.length);
    // One product from both modes: the same sweep id, and `rewind show` against the cluster prints the embedded tables.
    assert.equal(run.sweepId, referenceResults.sweep);
    const shown = await rewindCli(c, 'show', run.sweepId);
    assert.equal(shown, formatResults(referenceResults));
    assert.match(shown, /dense test accuracy: \d+\.\d\d%/);
    await c.stop();
  });

  it('(d) a cancelled sweep resumes from its ledger (`rewind resume`, or resubmitting): nothing trained twice, identical results', async () => {
    const c = await start(1);
    const client = new CoordinatorClient(c.addresses.coordinator, { credentials: c.credentials, retry: { attempts: 20, baseDelayMs: 250 } });
    const untilDone = async (sweepId: string, done: number): Promise<void> => {
      for await (const e of client.watch(sweepId)) if (e.event?.$case === 'progress' && e.event.value.done >= done) return;
    };
    const { sweepId } = await client.submit(JSON.stringify(SPEC));
    await untilDone(sweepId, 2);
    assert.equal((await client.cancel(sweepId)).status?.state, SweepState.SWEEP_STATE_CANCELLED);
    const resumed = await rewindCli(c, 'resume', sweepId);
    assert.match(resumed, new RegExp(`sweep ${sweepId} running`));
    await assert.rejects(client.resume(sweepId), (e: RemoteError) => e.code === status.FAILED_PRECONDITION && /is running/.test(e.message));
    await untilDone(sweepId, 5);
    assert.equal((await client.cancel(sweepId)).status?.state, SweepState.SWEEP_STATE_CANCELLED);
    const again = await client.submit(JSON.stringify(SPEC));
    assert.deepEqual([again.sweepId, again.created, again.resumed], [sweepId, false, true]);
    // A watch from the start passes over both cancelled attempts and ends with the third.
    const finishes = [];
    for await (const e of client.watch(sweepId)) if (e.event?.$case === 'sweepFinished') finishes.push(e.event.value);
    assert.deepEqual(finishes.map((f) => [f.state, f.attempt]), [[SweepState.SWEEP_STATE_SUCCEEDED, 2]]);
    await assert.rejects(client.resume(sweepId), (e: RemoteError) => e.code === status.FAILED_PRECONDITION && /is succeeded/.test(e.message));
    await assert.rejects(client.resume('sweep_0000000000000000'), (e: RemoteError) => e.code === status.NOT_FOUND);
    client.close();
    assert.deepEqual(await clusterFingerprint(c, experiments), reference);
    assert.equal(await jobOutcomeCount(c), experiments.length);
    const finished = [...c.trainers[0]!.log.matchAll(/finished job (\S+)/g)].map((m) => m[1]!);
    assert.equal(finished.length, experiments.length, `each training ran once across three attempts: ${finished.join(', ')}`);
    await c.stop();
  });
});
