import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pacedSetImmediate } from '../src/dawn-polling.ts';

/** A fake event loop: what was scheduled, how, and a clock the test moves. */
function fakeLoop(spinMs: number) {
  let clock = 0;
  const queued: Array<{ how: string; run: () => void }> = [];
  const polls = new WeakSet<object>();
  const pacing = { spinMs };
  const setImmediate = pacedSetImmediate(
    (callback, ...args) => queued.push({ how: 'immediate', run: () => callback(...args) }),
    (callback, ms) => queued.push({ how: `timeout ${ms}`, run: callback }),
    (callback) => typeof callback === 'function' && polls.has(callback),
    pacing,
    () => clock,
  );
  /** Dawn's poll: processes events, and schedules itself again while `pending()` says work is left. */
  const dawnPoll = (pending: () => boolean) => {
    const poll = () => {
      if (pending()) setImmediate(poll);
    };
    polls.add(poll);
    return poll;
  };
  /** Moves the clock, runs what is first in line, and says how the run scheduled the next callback ('none': it did not). */
  const runNext = (advanceMs: number) => {
    clock += advanceMs;
    const next = queued.shift();
    assert.ok(next, 'nothing scheduled');
    next.run();
    return queued.at(-1)?.how ?? 'none';
  };
  return { setImmediate, dawnPoll, runNext, queued, pacing };
}

test('callbacks other than Dawn polls are scheduled as they were, with their arguments', () => {
  const loop = fakeLoop(1);
  const seen: unknown[] = [];
  loop.setImmediate((...args) => seen.push(args), 'a', 2);
  assert.equal(loop.queued[0]?.how, 'immediate');
  loop.runNext(5);
  assert.deepEqual(seen, [['a', 2]]);
});

test('a wait polls at full speed for its first spinMs, then once a millisecond, and the next wait starts at full speed again', () => {
  const loop = fakeLoop(2);
  let left = 5;
  loop.setImmediate(loop.dawnPoll(() => --left > 0));
  // Polls 0, 0.5 and 1.5 ms into the wait schedule the next at full speed; at 2.5 and 3.5 ms, paced; the fifth finds nothing pending.
  assert.deepEqual([0, 0.5, 1, 1, 1].map((ms) => loop.runNext(ms)), ['immediate', 'immediate', 'immediate', 'timeout 1', 'none']);
  assert.equal(loop.queued.length, 0);

  left = 3;
  loop.setImmediate(loop.dawnPoll(() => --left > 0));
  assert.equal(loop.queued[0]?.how, 'immediate');
  assert.deepEqual([0.1, 0.1, 0.1].map((ms) => loop.runNext(ms)), ['immediate', 'immediate', 'none']);
});

test('a changed spin applies to the next poll', () => {
  const loop = fakeLoop(100);
  loop.setImmediate(loop.dawnPoll(() => true));
  assert.equal(loop.runNext(1), 'immediate');
  loop.pacing.spinMs = 0.5;
  assert.equal(loop.runNext(0), 'timeout 1');
});
