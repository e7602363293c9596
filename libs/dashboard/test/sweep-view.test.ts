/** The fold behind the dashboard: progress, speed and ETA, rows joined to tickets and analyses, bounds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResultRow } from '@rewind/core';
import type { TimedEvent } from '@rewind/local';
import { MAX_CURVE_POINTS, MAX_LOG_LINES, SweepView } from '../src/sweep-view.ts';

const info = { sweepId: 'sweep_0123456789abcdef', name: 'quick', model: 'mnist_lenet_300_100', dataset: 'fashion_mnist' };

const row = (experiment: string, round: number, accuracy: number): ResultRow => ({
  experiment,
  trunk: 'trunk_1',
  seed: 1,
  kind: 'ticket',
  rewindStep: 200,
  round,
  copy: 0,
  weightsRemaining: 0.8 ** round,
  finalAccuracy: accuracy,
  bestAccuracy: accuracy + 0.01,
  trainLoss: 0.4,
  wallMs: 1000,
  maskId: 'a'.repeat(64),
  rewindId: 'b'.repeat(64),
  finalId: 'c'.repeat(64),
  backend: 'native',
});

const progress = (at: number, step: number, trainLoss?: number): TimedEvent => ({
  at,
  type: 'job.progress',
  experiment: 'ticket_1',
  jobId: 'job_1',
  step,
  endStep: 1000,
  batchSize: 60,
  trainer: 'trainer-0',
  rewindStep: 200,
  round: 1,
  ...(trainLoss === undefined ? {} : { trainLoss }),
});

test('a job in flight: its speed, examples per second and ETA from its progress; the sweep ETA counts it', () => {
  const view = new SweepView(info);
  view.apply({ at: 0, type: 'sweep.started', attempt: 0 });
  view.apply({ at: 10_000, type: 'progress', done: 1, total: 4, label: 'dense trunk', cached: false });
  view.apply(progress(10_000, 0));
  view.apply(progress(20_000, 500, 0.5));
  const s = view.snapshot(20_000);
  const [job] = s.jobs;
  assert.equal(job?.stepsPerSecond, 50);
  assert.equal(job?.examplesPerSecond, 3000);
  assert.equal(job?.etaMs, 10_000);
  assert.equal(job?.loss, 0.5);
  assert.equal(s.elapsedMs, 20_000);
  // 1.5 trainings in 20 s, 2.5 to go: 33.3 s.
  assert.ok(Math.abs(s.etaMs! - (20_000 * 2.5) / 1.5) < 1e-6, String(s.etaMs));
  assert.deepEqual(s.curves, [{ experiment: 'ticket_1', rewindStep: 200, round: 1, points: [[500, 0.5]] }]);
});

test("a trainer's log lines: the latest beside its job while it runs, all of them in the sweep's log", () => {
  const view = new SweepView(info);
  view.apply({ at: 1, type: 'job.log', experiment: 'ticket_1', jobId: 'job_1', trainer: 'trainer-0', line: 'took job job_1 (delivery 1)' });
  view.apply(progress(2, 10));
  view.apply({ at: 3, type: 'job.log', experiment: 'ticket_1', jobId: 'job_1', trainer: 'trainer-0', line: 'job job_1 failed, will retry: store unavailable' });
  const s = view.snapshot(4);
  assert.equal(s.jobs[0]?.lastLog, 'job job_1 failed, will retry: store unavailable');
  assert.deepEqual(s.log.map((l) => l.text), ['trainer-0: took job job_1 (delivery 1)', 'trainer-0: job job_1 failed, will retry: store unavailable']);
  view.apply(progress(5, 1000));
  assert.deepEqual(view.snapshot(6).jobs, [], 'a finished job leaves with its line');
});

test('rows, tickets and analyses: tickets and analyses are placed by their row; the end clears jobs and ETA', () => {
  const view = new SweepView(info);
  view.apply({ at: 0, type: 'sweep.started', attempt: 0 });
  view.apply(progress(1, 10));
  view.apply({ at: 2, type: 'round.completed', experiment: 'ticket_1', row: row('ticket_1', 1, 0.85) });
  view.apply({ at: 3, type: 'ticket.found', experiment: 'ticket_1', maskId: 'a'.repeat(64), rewindId: 'b'.repeat(64), finalId: 'c'.repeat(64) });
  view.apply({ at: 4, type: 'analysis.completed', experiment: 'ticket_1', analysis: 'linear_mode', result: { testBarrier: 0.01 } });
  view.apply({ at: 5, type: 'analysis.completed', experiment: 'unknown', analysis: 'layer_sparsity', result: {} });
  const running = view.snapshot(6);
  assert.equal(running.rows.length, 1);
  assert.deepEqual(running.backends, ['native']);
  assert.equal(running.tickets[0]?.finalAccuracy, 0.85);
  assert.equal(running.tickets[0]?.round, 1);
  assert.equal(running.analyses[0]?.rewindStep, 200);
  assert.equal(running.analyses[0]?.kind, 'ticket');
  assert.equal(running.analyses[1]?.rewindStep, undefined, 'an analysis without a row is kept, unplaced');
  const version = view.version;
  view.apply({ at: 100, type: 'sweep.finished', state: 'cancelled' });
  assert.ok(view.version > version);
  const ended = view.snapshot(10_000);
  assert.equal(ended.state, 'cancelled');
  assert.deepEqual(ended.jobs, []);
  assert.equal(ended.etaMs, undefined);
  assert.equal(ended.elapsedMs, 100, 'elapsed stops at the end');
  assert.match(ended.log.at(-1)!.text, /sweep cancelled/);
});

test('a resumed attempt: trainings found done in the ledger do not count toward its speed', () => {
  const view = new SweepView(info);
  view.apply({ at: 0, type: 'sweep.started', attempt: 0 });
  view.apply({ at: 50_000, type: 'sweep.finished', state: 'failed', error: 'trainer lost' });
  view.apply({ at: 100_000, type: 'sweep.started', attempt: 1 });
  view.apply({ at: 100_001, type: 'progress', done: 5, total: 10, label: 'cached', cached: true });
  view.apply({ at: 110_000, type: 'progress', done: 6, total: 10, label: 'k=0 round 1', cached: false });
  const s = view.snapshot(110_000);
  assert.equal(s.state, 'running');
  assert.equal(s.error, undefined);
  assert.equal(s.attempt, 1);
  assert.equal(s.elapsedMs, 10_000);
  // One training in 10 s, four to go.
  assert.equal(s.etaMs, 40_000);
});

test('a finished job leaves the list; curves and the log stay bounded however long the sweep', () => {
  const view = new SweepView(info);
  for (let i = 1; i <= 3 * MAX_CURVE_POINTS; i++) view.apply({ ...progress(i, i, 1 / i), endStep: 10_000 } as TimedEvent);
  view.apply({ ...progress(99_999, 10_000, 0.001), endStep: 10_000 } as TimedEvent);
  for (let i = 0; i < 2 * MAX_LOG_LINES; i++) view.apply({ at: i, type: 'progress', done: i, total: 10_000, label: `t${i}`, cached: false });
  const s = view.snapshot(100_000);
  assert.deepEqual(s.jobs, []);
  const points = s.curves[0]!.points;
  assert.ok(points.length <= MAX_CURVE_POINTS + 1, String(points.length));
  assert.deepEqual(points.at(-1), [10_000, 0.001], 'the last point survives thinning');
  assert.ok(points.every((p, i) => i === 0 || p[0] > points[i - 1]![0]), 'steps stay in order');
  assert.equal(s.log.length, MAX_LOG_LINES);
  assert.equal(s.log.at(-1)?.text, `[${2 * MAX_LOG_LINES - 1}/10000] t${2 * MAX_LOG_LINES - 1}`);
});
