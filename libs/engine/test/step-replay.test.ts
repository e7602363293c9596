/**
 * StepRunner where no backend records steps (the CPU backends), the REWIND_STEP_REPLAY setting, and
 * the check that turns replay off when tfjs-backend-webgpu is not shaped as the recorder expects.
 * Recording and replaying on a real WebGPU device: test/webgpu/step-replay.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { webgpuStepRecorder } from '@rewind/webgpu-kernels';
import { ensureBackend } from '../src/runtime.ts';
import { StepRunner, stepReplaySetting } from '../src/step-replay.ts';

test('REWIND_STEP_REPLAY takes on or off, and names both when it is anything else', () => {
  assert.equal(stepReplaySetting('on'), 'on');
  assert.equal(stepReplaySetting('off'), 'off');
  assert.throws(() => stepReplaySetting('yes'), /REWIND_STEP_REPLAY must be 'on' or 'off' \(got 'yes'\)/);
});

test('on a backend without a step recorder every step runs its body', async () => {
  await ensureBackend();
  const v = tf.variable(tf.scalar(1));
  const runner = new StepRunner(() => [v], 'on');
  assert.equal(runner.replays, false);
  let calls = 0;
  for (let i = 0; i < 4; i++) {
    const [out] = runner.run('kind', [], () => {
      calls++;
      v.assign(tf.add(v, 1));
      return [v.clone()];
    });
    assert.equal((await out!.data())[0], i + 2);
    out!.dispose();
  }
  assert.equal(calls, 4);
  assert.equal(runner.recording, undefined);
  runner.dispose();
  v.dispose();
});

test('a webgpu backend not shaped as the pinned tfjs-backend-webgpu turns replay off with a reason', () => {
  const why = webgpuStepRecorder({ submitQueue() {} });
  assert.equal(typeof why, 'string');
  assert.match(why as string, /^tfjs-backend-webgpu lacks ensureCommandEncoderReady, endComputePassEncoder, uploadToGPU, getBufferData, makeTensorInfo, bufferManager/);
});
