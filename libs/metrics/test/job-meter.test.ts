/** Jobs and steps counted once each, whether a job ends, fails or resumes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobMeter, meterCheckpoint, serviceMetrics } from '@rewind/metrics';

const value = async (metrics: ReturnType<typeof serviceMetrics>, name: string, labels: Record<string, string> = {}) => {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  return metric.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
};

test('a job counts as running while it runs, then as done or failed', async () => {
  const metrics = serviceMetrics('trainer');
  const meter = jobMeter(metrics);
  let release!: () => void;
  const job = meter.track(() => new Promise<string>((r) => (release = () => r('ok'))));
  assert.equal(await value(metrics, 'rewind_jobs_running'), 1);
  release();
  assert.equal(await job, 'ok');
  await assert.rejects(meter.track(() => Promise.reject(new Error('diverged'))), /diverged/);
  assert.equal(await value(metrics, 'rewind_jobs_running'), 0);
  assert.equal(await value(metrics, 'rewind_jobs_finished_total', { outcome: 'done' }), 1);
  assert.equal(await value(metrics, 'rewind_jobs_finished_total', { outcome: 'failed' }), 1);
});

test('steps and examples count from the first step seen, so a resumed job is not counted twice', async () => {
  const metrics = serviceMetrics('trainer');
  const meter = jobMeter(metrics);
  meter.progress('job-a', 101, 32); // resumed after step 100: its earlier steps ran elsewhere
  meter.progress('job-a', 110, 32);
  meter.progress('job-a', 125, 32);
  meter.progress('job-b', 1, 60);
  meter.progress('job-b', 5, 60);
  meter.progress('job-b', 5, 60);
  assert.equal(await value(metrics, 'rewind_training_steps_total'), 25 + 5);
  assert.equal(await value(metrics, 'rewind_training_examples_total'), 25 * 32 + 5 * 60);
});

test('a checkpoint read or write is timed and its bytes counted; a failed one adds no bytes', async () => {
  const metrics = serviceMetrics('checkpoint-store');
  const info = await meterCheckpoint(metrics, 'write', async () => ({ id: 'x', size: 4096 }), (i) => i.size);
  assert.equal(info.id, 'x');
  await assert.rejects(
    meterCheckpoint(metrics, 'read', () => Promise.reject(new Error('gone')), () => 1),
    /gone/,
  );
  assert.equal(await value(metrics, 'rewind_checkpoint_bytes_total', { direction: 'write' }), 4096);
  assert.equal(await value(metrics, 'rewind_checkpoint_bytes_total', { direction: 'read' }), 0);
  const text = await metrics.registry.metrics();
  assert.match(text, /^rewind_checkpoint_seconds_count\{[^}]*operation="write"[^}]*\} 1$/m);
  assert.doesNotMatch(text, /^rewind_checkpoint_seconds_count\{[^}]*operation="read"/m, 'only finished transfers are timed');
});
