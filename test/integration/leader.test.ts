/**
 * Two coordinator replicas on the dev cluster: the second waits for the leader lease without listening;
 * when the leader is SIGKILLed mid-sweep it takes over within the lease, resumes the sweep from JetStream,
 * and the sweep ends with masks and weights bit-identical to the embedded run, no training done twice.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { CoordinatorClient } from '@rewind/cluster-client';
import { type Cluster, scaled, startCluster } from '@rewind/dev-cluster';
import type { RemoteError } from '@rewind/rpc';
import { clusterFingerprint, embeddedRun, type Fingerprint, jobOutcomeCount, SPEC, tempDir } from './cluster-helpers.ts';

process.env.REWIND_THREADS ??= '1';

describe('coordinator replicas', () => {
  let reference: Fingerprint;
  let dir = '';
  let cluster: Cluster | undefined;

  before(async () => {
    ({ fingerprint: reference } = await embeddedRun());
    dir = await tempDir('leader');
  });

  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a standby takes over within the lease when the leader is SIGKILLed, and the sweep ends identical', async () => {
    const c = await startCluster({ dir, trainers: 1, ackWaitMs: 3000, env: { REWIND_THREADS: process.env.REWIND_THREADS! } });
    cluster = c;
    const standby = await c.startStandbyCoordinator();
    assert.match(standby.child.log, /waiting for the leader lease \(held by coordinator-1\)/);

    const leader = new CoordinatorClient(c.addresses.coordinator, { credentials: c.credentials });
    const { sweepId } = await leader.submit(JSON.stringify(SPEC));
    for await (const e of leader.watch(sweepId)) {
      if (e.event?.$case === 'progress' && e.event.value.done >= 2) break;
    }
    leader.close();
    // Not leading, the standby does not even listen: nothing can reach a replica that is not driving sweeps.
    const early = new CoordinatorClient(standby.address, { credentials: c.credentials, retry: { attempts: 1, baseDelayMs: 1 } });
    await assert.rejects(early.get(sweepId), (err: RemoteError) => /unavailable/i.test(err.message));
    early.close();

    const killedAt = Date.now();
    await c.coordinator.kill();
    await standby.child.waitFor(/leading/, scaled(60_000));
    const handoverMs = Date.now() - killedAt;
    console.log(`leader SIGKILLed → standby leading after ${handoverMs} ms (lease TTL 5000 ms)`);
    assert.ok(handoverMs <= scaled(10_000), `handover took ${handoverMs} ms`);

    const client = new CoordinatorClient(standby.address, { credentials: c.credentials, retry: { attempts: 20, baseDelayMs: 250 } });
    try {
      let state = 'none';
      for await (const e of client.watch(sweepId)) {
        if (e.event?.$case === 'sweepFinished') state = e.event.value.state === 2 ? 'succeeded' : `ended: ${e.event.value.error}`;
      }
      assert.equal(state, 'succeeded');
    } finally {
      client.close();
    }
    assert.match(standby.child.log, /resumed 1 running sweep/);
    const experiments = Object.keys(reference);
    assert.deepEqual(await clusterFingerprint(c, experiments), reference);
    assert.equal(await jobOutcomeCount(c), experiments.length, 'each training recorded once');
  });
});
