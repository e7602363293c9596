import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findEarliestStableRewind } from '@rewind/stability';

/** A monotone fake: unstable before `firstStable`, stable from it on; counts calls per step. */
function monotoneProbe(firstStable: number) {
  const calls: number[] = [];
  const isStable = async (step: number) => {
    calls.push(step);
    return { stable: step >= firstStable, barrier: step >= firstStable ? 0.01 : 0.3 };
  };
  return { calls, isStable };
}

const steps = Array.from({ length: 1000 }, (_, i) => i * 10);

describe('findEarliestStableRewind', () => {
  it('finds the earliest stable step for every possible answer, within 2⌈log₂(i+1)⌉ probes', async () => {
    for (let answer = 0; answer < steps.length; answer++) {
      const { calls, isStable } = monotoneProbe(steps[answer]!);
      const search = await findEarliestStableRewind(steps, isStable);
      assert.equal(search.chosen, steps[answer]);
      assert.ok(calls.length <= Math.max(1, 2 * Math.ceil(Math.log2(answer + 1))), `answer ${answer}: ${calls.length}`);
      assert.equal(new Set(calls).size, calls.length, 'no step is probed twice');
    }
  });

  it('records every probe with its verdict and barrier, in order', async () => {
    const { calls, isStable } = monotoneProbe(50);
    const search = await findEarliestStableRewind([0, 10, 20, 30, 40, 50, 60, 70], isStable);
    assert.equal(search.chosen, 50);
    // Gallop 0, 10, 30, 70 (stable), then bisect 50 (stable), 40 (unstable).
    assert.deepEqual(calls, [0, 10, 30, 70, 50, 40]);
    assert.deepEqual(
      search.probes.map((p) => [p.index, p.step, p.stable, p.barrier]),
      [
        [0, 0, false, 0.3],
        [1, 10, false, 0.3],
        [3, 30, false, 0.3],
        [7, 70, true, 0.01],
        [5, 50, true, 0.01],
        [4, 40, false, 0.3],
      ],
    );
  });

  it('returns null after ⌈log₂ n⌉+1 probes when no saved step is stable, ending on the last', async () => {
    const { calls, isStable } = monotoneProbe(Number.POSITIVE_INFINITY);
    const search = await findEarliestStableRewind(steps, isStable);
    assert.equal(search.chosen, null);
    assert.equal(calls.length, Math.ceil(Math.log2(steps.length)) + 1);
    assert.equal(calls.at(-1), steps.at(-1));
  });

  it('probes once when the first step is already stable, and never with no steps', async () => {
    const early = monotoneProbe(0);
    assert.equal((await findEarliestStableRewind([0, 100, 500], early.isStable)).chosen, 0);
    assert.deepEqual(early.calls, [0]);
    const none = monotoneProbe(0);
    assert.deepEqual(await findEarliestStableRewind([], none.isStable), { chosen: null, probes: [] });
    assert.deepEqual(none.calls, []);
  });

  it('rejects saved steps that are not strictly increasing', async () => {
    await assert.rejects(findEarliestStableRewind([0, 5, 5], monotoneProbe(0).isStable), /strictly increasing/);
  });
});
