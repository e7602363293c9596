/** events.jsonl: appended in order, read in complete lines, garbage skipped and counted, attempts counted. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEventLog, SweepEventLog } from '../src/sweep-event-log.ts';

test('an appended log reads back in order, resumable from any returned offset; attempts are counted', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'rewind-log-')), 'events.jsonl');
  let now = 0;
  const log = new SweepEventLog(path, () => ++now);
  log.append({ type: 'sweep.started', attempt: 0 });
  log.append({ type: 'progress', done: 1, total: 2, label: 'dense trunk' });
  appendFileSync(path, 'not json\n{"type":"no time"}\n\n');
  log.append({ type: 'sweep.finished', state: 'cancelled' });
  const all = await readEventLog(path, 0);
  assert.deepEqual(all.events.map((e) => `${e.at}:${e.type}`), ['1:sweep.started', '2:progress', '3:sweep.finished']);
  assert.equal(all.unreadable, 2);
  assert.deepEqual((await readEventLog(path, all.next)).events, [], 'nothing after the end');
  assert.equal((await SweepEventLog.open(path)).attempt, 1);
  assert.equal((await SweepEventLog.open(join(tmpdir(), 'no-such-dir-rewind', 'events.jsonl'))).attempt, 0);
});

test('a log that cannot be written warns once and lets the sweep go on', () => {
  const warnings: string[] = [];
  const log = new SweepEventLog(join(tmpdir(), 'no-such-dir-rewind', 'events.jsonl'), Date.now, (line) => warnings.push(line));
  log.append({ type: 'sweep.started', attempt: 0 });
  log.append({ type: 'sweep.finished', state: 'succeeded' });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /cannot write .*events\.jsonl .*dashboard/);
});
