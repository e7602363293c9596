/** /metrics over real HTTP: open on loopback, behind a bearer token elsewhere, refused without one. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricsConfigFromEnv, serveMetrics, serviceMetrics, startMetricsServer } from '@rewind/metrics';

const scrape = async (port: number, headers: Record<string, string> = {}) => {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers });
  return { status: res.status, text: await res.text() };
};

test('on loopback /metrics serves the shared metrics, and they move', async () => {
  let pending = 5;
  const metrics = serviceMetrics('trainer', async () => ({ pending, ackPending: 2, redelivered: 1 }));
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry: metrics.registry });
  try {
    const before = await scrape(server.port);
    assert.equal(before.status, 200);
    assert.match(before.text, /^rewind_jobs_queued\{service="trainer"\} 5$/m);
    assert.match(before.text, /^rewind_jobs_in_flight\{service="trainer"\} 2$/m);
    assert.match(before.text, /^rewind_jobs_redelivered\{service="trainer"\} 1$/m);
    assert.match(before.text, /^process_cpu_user_seconds_total\{service="trainer"\} /m);
    metrics.trainingSteps.inc(40);
    metrics.trainingExamples.inc(40 * 32);
    metrics.jobsFinished.inc({ outcome: 'done' });
    metrics.checkpointBytes.inc({ direction: 'write' }, 1234);
    metrics.checkpointSeconds.observe({ operation: 'write' }, 0.03);
    pending = 4;
    const after = await scrape(server.port);
    assert.match(after.text, /^rewind_training_steps_total\{service="trainer"\} 40$/m);
    assert.match(after.text, /^rewind_training_examples_total\{service="trainer"\} 1280$/m);
    assert.match(after.text, /^rewind_jobs_finished_total\{outcome="done",service="trainer"\} 1$/m);
    assert.match(after.text, /^rewind_checkpoint_bytes_total\{direction="write",service="trainer"\} 1234$/m);
    assert.match(after.text, /^rewind_checkpoint_seconds_count\{[^}]*operation="write"[^}]*\} 1$/m);
    assert.match(after.text, /^rewind_jobs_queued\{service="trainer"\} 4$/m);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/other`)).status, 404);
  } finally {
    await server.close();
  }
});

test('beyond loopback a bearer token is required, and listening there without one is refused', async () => {
  const { registry } = serviceMetrics('pruner');
  await assert.rejects(startMetricsServer({ host: '0.0.0.0', port: 0, registry }), /set REWIND_METRICS_TOKEN, or listen on 127\.0\.0\.1/);
  const server = await startMetricsServer({ host: '0.0.0.0', port: 0, token: 's3cret', registry });
  try {
    assert.equal((await scrape(server.port)).status, 401);
    assert.equal((await scrape(server.port, { authorization: 'Bearer wrong!' })).status, 401);
    const ok = await scrape(server.port, { authorization: 'Bearer s3cret' });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /rewind_jobs_running\{service="pruner"\} 0/);
  } finally {
    await server.close();
  }
});

test('the environment says where metrics are served; a bad port is named', async () => {
  assert.equal(metricsConfigFromEnv({}), undefined);
  assert.deepEqual(metricsConfigFromEnv({ REWIND_METRICS_PORT: '9464' }), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(metricsConfigFromEnv({ REWIND_METRICS_PORT: '0', REWIND_METRICS_HOST: '0.0.0.0', REWIND_METRICS_TOKEN: 't' }), { host: '0.0.0.0', port: 0, token: 't' });
  assert.throws(() => metricsConfigFromEnv({ REWIND_METRICS_PORT: 'http' }), /REWIND_METRICS_PORT must be a port number/);
  const served = await serveMetrics('coordinator', undefined, { REWIND_METRICS_PORT: '0' });
  try {
    assert.ok(served.server);
    assert.match((await scrape(served.server.port)).text, /rewind_jobs_running\{service="coordinator"\} 0/);
  } finally {
    await served.server?.close();
  }
});
