/**
 * Chaos on the dev cluster during one sweep: 20 SIGKILLs of services chosen by a seeded random sequence
 * (checkpoint-store, pruner, stability-analyzer, coordinator, a trainer), each started again at once; one
 * SIGKILL and restart of nats-server and of the S3 server (their data kept, as a volume would); and a 60 s
 * checkpoint-store outage, through which the last kills go on. The sweep must end succeeded, bit-identical
 * to the embedded run (`rewind run`, in a child process during the outage), with every training's outcome
 * recorded exactly once (the job-results bucket takes one create per job).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinatorClient } from '@rewind/cluster-client';
import { type Cluster, type Part, scaled, startCluster } from '@rewind/dev-cluster';
import { clusterFingerprint, embeddedRunInChild, type Fingerprint, jobOutcomeCount, SPEC, tempDir } from './cluster-helpers.ts';

process.env.REWIND_THREADS ??= '1';

/**
 * Long enough that the chaos below happens while it runs, with a checkpoint every 160 iterations: at one
 * every 16, moving checkpoints through the store and S3 took most of the test's CPU time. The sweep's
 * margin after the last disruption is printed after it ends.
 */
const CHAOS_SPEC = { ...SPEC, name: 'chaos-imp', training: { ...SPEC.training, steps: '960it' }, checkpoint_every: '160it' };
const KILLS = 20;
const OUTAGE_MS = 60_000;
/** The store goes down after this kill and stays down while the later kills go on. */
const OUTAGE_AFTER_KILL = 12;

/** mulberry32: the same kills in the same order on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('chaos', () => {
  let dir = '';
  let cluster: Cluster | undefined;

  before(async () => {
    dir = await tempDir('chaos');
  });

  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`a sweep survives ${KILLS} SIGKILLs, nats-server and S3 restarts and a ${OUTAGE_MS / 1000} s store outage, and ends identical`, async () => {
    const c = await startCluster({ dir, trainers: 2, ackWaitMs: 3000, env: { REWIND_THREADS: process.env.REWIND_THREADS! } });
    cluster = c;
    const submitter = new CoordinatorClient(c.addresses.coordinator, { credentials: c.credentials, retry: { attempts: 20, baseDelayMs: 250 } });
    const { sweepId } = await submitter.submit(JSON.stringify(CHAOS_SPEC));
    submitter.close();

    const submitted = Date.now();
    let finished = false;
    let endedAfterMs = 0;
    const ended = (async () => {
      const client = new CoordinatorClient(c.addresses.coordinator, { credentials: c.credentials, retry: { attempts: 200, baseDelayMs: 250 } });
      try {
        for await (const e of client.watch(sweepId)) {
          if (e.event?.$case === 'sweepFinished') return e.event.value.state === 2 ? 'succeeded' : `ended: ${e.event.value.error}`;
        }
        return 'watch ended without a sweepFinished';
      } finally {
        finished = true;
        endedAfterMs = Date.now() - submitted;
        client.close();
      }
    })();

    const random = seeded(20261205);
    // Every coordinator that ran, for the post-mortem if the sweep fails.
    const coordinators = [c.coordinator];
    const log: string[] = [];
    let duringSweep = 0;
    const disrupt = async (what: string, act: () => Promise<void>) => {
      if (!finished) duringSweep++;
      log.push(`${what}${finished ? ' (after the end)' : ''}`);
      await act();
    };
    const restart = (part: Part) => async () => {
      await c.kill(part);
      await c.revive(part);
    };
    let storeDown = false;
    let outage: Promise<void> | undefined;
    let reference: Promise<Fingerprint> | undefined;
    for (let i = 1; i <= KILLS; i++) {
      await sleep(300 + random() * 700);
      const victims = (['store', 'pruner', 'analyzer', 'coordinator', 'trainer'] as const).filter((v) => !(storeDown && v === 'store'));
      const victim = victims[Math.floor(random() * victims.length)]!;
      if (victim === 'coordinator') {
        await disrupt('coordinator', async () => {
          await c.coordinator.kill();
          coordinators.push(await c.restartCoordinator());
        });
      } else if (victim === 'trainer') {
        await disrupt('trainer', async () => {
          const alive = c.trainers.filter((t) => t.running);
          await alive[Math.floor(random() * alive.length)]!.kill();
          await c.startTrainer();
        });
      } else {
        await disrupt(victim, restart(victim));
      }
      if (i === 6) await disrupt('nats-server', restart('nats'));
      if (i === 10) await disrupt('s3rver', restart('s3'));
      if (i === OUTAGE_AFTER_KILL) {
        // The embedded run to compare with goes on through the outage, on the CPU that the waiting cluster leaves idle.
        reference = embeddedRunInChild(CHAOS_SPEC);
        // Awaited after the sweep; a failure before then must not go unhandled.
        reference.catch(() => {});
        storeDown = true;
        outage = disrupt(`store outage ${OUTAGE_MS / 1000} s`, async () => {
          await c.kill('store');
          await sleep(OUTAGE_MS);
          await c.revive('store');
          storeDown = false;
        });
      }
    }
    await outage;
    const disruptedForMs = Date.now() - submitted;
    console.log(`chaos: ${log.join(', ')}`);

    // Unref'd: a pending 15-minute timer would keep this test's process, and its slot in the run, alive.
    const state = await Promise.race([ended, sleep(scaled(15 * 60_000), 'no end within 15 min', { ref: false })]);
    // The margin: how long the sweep outlasted the disruptions.
    console.log(`chaos: ${log.length} disruptions over ${(disruptedForMs / 1000).toFixed(0)} s; the sweep ended at ${(endedAfterMs / 1000).toFixed(0)} s`);
    const logs = coordinators.map((k) => `${k.spec.name}:\n${k.log.slice(-3000)}`).join('\n');
    assert.equal(state, 'succeeded', `coordinators' logs:\n${logs}`);
    assert.ok(duringSweep >= KILLS + 3, `only ${duringSweep} of ${log.length} disruptions happened while the sweep ran: make it longer`);
    const embedded = await reference!;
    const experiments = Object.keys(embedded);
    assert.deepEqual(await clusterFingerprint(c, experiments), embedded);
    assert.equal(await jobOutcomeCount(c), experiments.length, 'each training recorded once');
  });
});
