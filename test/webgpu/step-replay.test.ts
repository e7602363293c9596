/**
 * Training steps replayed from a recording (StepRunner with the webgpu recorder) on a real WebGPU
 * device, Dawn over lavapipe: bit-identical to running each step through tfjs, re-recorded when
 * the state is replaced behind its back, refused (with a reason, and correct results) when a step
 * could not be repeated, and leaving no tensor or GPU buffer behind.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ChildResult, runTsx, softwareWebgpuEnv } from '../support/software-webgpu.ts';

const SCRIPT = fileURLToPath(new URL('step-replay-cases.ts', import.meta.url));

interface Run {
  readonly losses: number[];
  readonly weights: number[];
  /** Read after the third step. */
  readonly midWeights: number[];
  readonly bodyCalls: number;
  readonly replays: boolean;
}

/** The replayed run of case `name` gave the plain run's losses and weights, running its body `bodyCalls` times. */
function assertSameAsPlain(cases: Record<string, Record<string, unknown>>, name: string, bodyCalls: number): void {
  const { plain, replayed } = cases[name] as { plain: Run; replayed: Run };
  assert.deepEqual(replayed.losses, plain.losses);
  assert.deepEqual(replayed.weights, plain.weights);
  assert.equal(replayed.bodyCalls, bodyCalls);
}

describe('step replay on a software WebGPU adapter', () => {
  let child: ChildResult;
  let cases: Record<string, Record<string, unknown>>;
  before(async () => {
    child = await runTsx(SCRIPT, [], softwareWebgpuEnv({ REWIND_WEBGPU_ALLOW_SOFTWARE: '1' }));
    assert.equal(child.code, 0, child.stderr.slice(-4000));
    const lines = child.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    cases = Object.fromEntries(lines.map((l) => [l.case as string, l]));
  });

  test('replayed steps give the same losses and weights, bit for bit, as steps run through tfjs', () => {
    const { plain, replayed } = cases.replay as { plain: Run; replayed: Run };
    assert.equal(plain.replays, false);
    assert.equal(replayed.replays, true);
    assert.deepEqual(replayed.losses, plain.losses);
    assert.deepEqual(replayed.midWeights, plain.midWeights);
    assert.deepEqual(replayed.weights, plain.weights);
    assert.notDeepEqual(replayed.weights, replayed.midWeights);
    // Step 1 runs plainly, step 2 is recorded while it runs, steps 3 to 6 are replays: the body runs twice.
    assert.equal(plain.bodyCalls, 6);
    assert.equal(replayed.bodyCalls, 2);
    assert.match(child.stderr, /rewind: training steps are replayed from a recording on webgpu \(\d+ dispatches and \d+ buffer copies in one submit per step\)/);
  });

  test('a batch already on the device is copied in as the step input, with the same results', () => {
    assertSameAsPlain(cases, 'device batches', 2);
  });

  test("a recording times each kind of its dispatches on the GPU, covering all of the step's launches", () => {
    const { summary, times } = cases['dispatch times'] as { summary: string; times: { kernel: string; launches: number; msPerLaunch: number }[] };
    const dispatches = Number(/^(\d+) dispatches/.exec(summary)?.[1]);
    assert.ok(dispatches > 0, summary);
    assert.equal(
      times.reduce((n, t) => n + t.launches, 0),
      dispatches,
    );
    for (const t of times) assert.ok(Number.isFinite(t.msPerLaunch) && t.msPerLaunch >= 0, JSON.stringify(t));
    // Kernels are named by tfjs's shader keys: Rewind's fused loss is one of them.
    assert.ok(
      times.some((t) => t.kernel.startsWith('rewindSoftmaxXent')),
      times.map((t) => t.kernel).join(', '),
    );
  });

  test('a disposed runner leaves no tensor and no GPU buffer behind', () => {
    const { before: start, after } = cases.replay as { before: object; after: object };
    assert.deepEqual(after, start);
  });

  test('state replaced between steps is noticed: that step runs through tfjs, the next is recorded again', () => {
    // Steps 1, 2 (recorded), 5 (state replaced before it: plain) and 6 (recorded again) run the body.
    assertSameAsPlain(cases, 'state replaced', 4);
  });

  test('a new kind of step (the learning rate stepped down) is recorded in turn, and the old recording let go', () => {
    // Two body runs per kind (plain, then recorded), three kinds.
    assertSameAsPlain(cases, 'kinds', 6);
    const { before: start, after } = cases.kinds as { before: object; after: object };
    assert.deepEqual(after, start);
  });

  for (const [name, reason] of [
    ['stray buffer', 'the step uses 1 device buffer(s) that are neither state, input nor output'],
    ['read back', 'the step reads device data back'],
  ] as const) {
    test(`a step that cannot be repeated (${name}) is refused with its reason and keeps running through tfjs`, () => {
      const { result, warnings } = cases[name] as { result: Run; warnings: string[] };
      const { plain } = cases.replay as { plain: Run };
      assert.deepEqual(warnings, [`rewind: training steps run through tfjs, not replayed (${reason})`]);
      assert.equal(result.bodyCalls, 4);
      assert.deepEqual(result.losses, plain.losses.slice(0, 4));
    });
  }
});
