/**
 * Acceptance tests of the distributed mode: every service in its own process, real nats-server, real
 * s3rver, real gRPC, real training. Results must equal the embedded run's exactly (content ids).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { GrpcCheckpointStore } from '@rewind/rpc';
import { type Cluster, startCluster } from '@rewind/dev-cluster';
import { connectNats, JobResults } from '@rewind/nats-ports';
import {
  clusterFingerprint,
  embeddedFingerprint,
  type Fingerprint,
  jobOutcomeCount,
  runOnCluster,
  tempDir,
} from './cluster-helpers.ts';

process.env.REWIND_THREADS ??= '1';

describe('cluster mode', () => {
  let reference: Fingerprint;
  let experiments: string[];
  const dirs: string[] = [];
  let cluster: Cluster | undefined;

  const start = async (trainers: number): Promise<Cluster> => {
    const dir = await tempDir('cluster');
    dirs.push(dir);
    cluster = await startCluster({ dir, trainers, ackWaitMs: 3000, env: { REWIND_THREADS: process.env.REWIND_THREADS! } });
    return cluster;
  };

  before(async () => {
    reference = await embeddedFingerprint();
    experiments = Object.keys(reference);
    assert.equal(experiments.length, 9, 'trunk + 2 rewind points × 2 rounds × (ticket + random_reinit)');
  });

  after(async () => {
    await cluster?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('(a) completes a sweep with masks and weights bit-identical to the embedded run', async () => {
    const c = await start(1);
    const run = await runOnCluster(c);
    assert.equal(run.state, 'succeeded');
    assert.equal(run.tickets, 4);
    assert.deepEqual(await clusterFingerprint(c, experiments), reference);
    assert.equal(await jobOutcomeCount(c), experiments.length);
    await c.stop();
    cluster = undefined;
  });

  it('(b) survives a trainer SIGKILLed mid-job: the job is redelivered and resumed, nothing lost or doubled', async () => {
    const c = await start(2);
    const store = new GrpcCheckpointStore(c.addresses.store);
    const [first, second] = c.trainers as [Cluster['trainers'][number], Cluster['trainers'][number]];
    let killedJob: string | undefined;
    const run = await runOnCluster(c, async (label) => {
      if (killedJob !== undefined || !label.startsWith('dense trunk')) return;
      // Chains now fan out; kill the first trainer once it has saved a resumable checkpoint of its job.
      const took = /took job (\S+)/g;
      await first.waitFor(/took job (?!trunk)\S+/, 60_000);
      const jobs = [...first.log.matchAll(took)].map((m) => m[1]!).filter((j) => !j.startsWith('trunk'));
      killedJob = jobs.at(-1)!;
      while ((await store.getRef(`resume/${killedJob}`)) === undefined) await new Promise((r) => setTimeout(r, 50));
      await first.kill();
    });
    store.close();
    assert.equal(run.state, 'succeeded');
    assert.ok(killedJob, 'a trainer was killed mid-job');
    assert.match(second.log, /took job/, 'the second trainer took jobs too');
    assert.match(second.log, new RegExp(`took job ${killedJob}`), 'the killed job went to the surviving trainer');
    const nc = await connectNats(c.nats.url, { name: 'test' });
    const outcome = await (await JobResults.open(nc)).get(killedJob!);
    await nc.close();
    assert.equal(outcome?.trainer, 'trainer-2');
    assert.ok(outcome?.outcome?.$case === 'result' && outcome.outcome.value.resumedFrom > 0, 'resumed from its checkpoint');
    assert.deepEqual(await clusterFingerprint(c, experiments), reference);
    assert.equal(await jobOutcomeCount(c), experiments.length);
    assert.equal(run.tickets, 4);
    await c.stop();
    cluster = undefined;
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
    await c.stop();
    cluster = undefined;
  });
});
