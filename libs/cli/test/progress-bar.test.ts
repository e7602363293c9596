/** The progress line without a terminal: a status line every N seconds with step, loss, elapsed and ETA. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duration, ProgressBar } from '../src/progress-bar.ts';

function logOutput() {
  const lines: string[] = [];
  return { lines, out: { isTTY: false, write: (s: string) => lines.push(s) > 0 } };
}

test('in a log: one status line every logEveryMs, with step, loss, speed, elapsed and ETA', () => {
  let now = 0;
  const { lines, out } = logOutput();
  const bar = new ProgressBar(out, 60, { logEveryMs: 10_000, now: () => now });
  bar.update({ done: 0, total: 4, label: 'dense trunk', step: 0, endStep: 1000 });
  now = 5_000;
  bar.update({ step: 250, loss: 0.5 });
  assert.deepEqual(lines, [], 'nothing before the first interval');
  now = 10_000;
  bar.update({ step: 500 });
  // 500 steps in 10 s: 50 steps/s, 3000 ex/s. Half of one of 4 trainings in 10 s: 1/8 of the sweep, 70 s to go.
  assert.deepEqual(lines, ['0/4 · dense trunk · step 500/1000 · loss 0.500 · 3000 ex/s · elapsed 10s · ETA 1m 10s\n']);
  now = 15_000;
  bar.update({ step: 750 });
  assert.equal(lines.length, 1, 'at most one line per interval');
  now = 20_000;
  bar.update({ step: 1000 });
  bar.update({ done: 1 });
  bar.finished('dense trunk');
  assert.equal(lines.length, 3);
  // One of 4 trainings in 20 s: 60 s to go.
  assert.match(lines[1]!, /^0\/4 · dense trunk · step 1000\/1000 · loss 0\.500 · 3000 ex\/s · elapsed 20s · ETA 1m 00s\n$/);
  assert.equal(lines[2], '[1/4] dense trunk · elapsed 20s\n');
});

test("the ETA counts only this process's work, not trainings read back from the ledger", () => {
  let now = 0;
  const { lines, out } = logOutput();
  const bar = new ProgressBar(out, 32, { logEveryMs: 1_000, now: () => now });
  bar.update({ done: 2, total: 4 }); // two trainings finished in an earlier run
  bar.update({ label: 'k=0it round 1', step: 0, endStep: 100 });
  now = 10_000;
  bar.update({ step: 50 });
  // Half a training in 10 s, 1.5 trainings left: 30 s.
  assert.match(lines[0]!, /elapsed 10s · ETA 30s\n$/);
});

test('a new job drops the last loss, and durations read as a person would write them', () => {
  let now = 0;
  const { lines, out } = logOutput();
  const bar = new ProgressBar(out, 1, { logEveryMs: 1_000, now: () => now });
  bar.update({ done: 0, total: 2, label: 'a', step: 10, endStep: 20, loss: 1.25 });
  now = 2_000;
  bar.update({ label: 'b', step: 1 });
  assert.doesNotMatch(lines[0]!, /loss/);
  assert.deepEqual([0, 42_400, 185_000, 7_620_000].map(duration), ['0s', '42s', '3m 05s', '2h 07m']);
});
