/**
 * /metrics of every gRPC service, and of real services during a short sweep on the dev cluster (nats-server, s3rver, every service):
 * the trainer's job, step and example counters and the checkpoint-store's bytes move, and the queue gauges
 * read the real JetStream consumer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CoordinatorClient } from '@rewind/cluster-client';
import { type Child, scaled, startCluster } from '@rewind/dev-cluster';

const SPEC = {
  name: 'metrics-imp',
  model: { name: 'mnist_lenet_300_100' },
  dataset: { name: 'synthetic' },
  training: { lr: 0.05, momentum: 0.9, weight_decay: 0.0001, batch_size: 32, steps: '32it', eval_every: '32it' },
  pruning: { rounds: 1, exclude: ['fc.kernel'] },
  rewind: ['0it'],
  controls: [],
  checkpoint_every: '16it',
};

async function metricsOf(child: Child): Promise<Map<string, number>> {
  const url = /metrics on (http:\/\/\S+\/metrics)/.exec(child.log)?.[1];
  assert.ok(url, `${child.log}\n: no metrics address printed`);
  const text = await (await fetch(url, { signal: AbortSignal.timeout(scaled(10_000)) })).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(rewind_\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m) values.set(`${m[1]}${(m[2] ?? '').replace(/,?service="[^"]*"/, '').replace('{}', '')}`, Number(m[3]));
  }
  return values;
}

test('services serve /metrics, and the counters move during a sweep', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-metrics-'));
  const cluster = await startCluster({ dir, trainers: 1, env: { REWIND_METRICS_PORT: '0', REWIND_THREADS: '1' } });
  try {
    const trainerBefore = await metricsOf(cluster.trainers[0]!);
    assert.equal(trainerBefore.get('rewind_training_steps_total'), 0);
    assert.equal(trainerBefore.get('rewind_jobs_queued'), 0);

    const client = new CoordinatorClient(cluster.addresses.coordinator, { credentials: cluster.credentials, retry: { attempts: 20, baseDelayMs: 250 } });
    const { sweepId } = await client.submit(JSON.stringify(SPEC));
    const deadline = AbortSignal.timeout(scaled(300_000));
    for await (const event of client.watch(sweepId, 0, deadline)) {
      if (event.event?.$case === 'sweepFinished') break;
    }

    const trainer = await metricsOf(cluster.trainers[0]!);
    // The dense trunk (32 steps) and the round-1 ticket (32 steps from W_0), 32 examples a step.
    assert.equal(trainer.get('rewind_jobs_finished_total{outcome="done"}'), 2);
    assert.equal(trainer.get('rewind_training_steps_total'), 64);
    assert.equal(trainer.get('rewind_training_examples_total'), 64 * 32);
    assert.equal(trainer.get('rewind_jobs_running'), 0);
    assert.equal(trainer.get('rewind_jobs_queued'), 0);
    assert.equal(trainer.get('rewind_jobs_in_flight'), 0);
    const store = await metricsOf(cluster.store);
    assert.ok((store.get('rewind_checkpoint_bytes_total{direction="write"}') ?? 0) > 0, 'checkpoints were written');
    assert.ok((store.get('rewind_checkpoint_bytes_total{direction="read"}') ?? 0) > 0, 'checkpoints were read');
    for (const child of [cluster.coordinator, cluster.pruner, cluster.analyzer]) {
      assert.equal((await metricsOf(child)).get('rewind_jobs_running'), 0, `${child.log.slice(0, 200)}: serves the shared metrics`);
    }
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
