/**
 * The webgpu candidate on this machine: its place in the order, and how it steps aside when there
 * is no GPU adapter (no Vulkan loader, no ICD, or the optional packages missing).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, mock, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { hasNvidiaGpu } from '../src/backends/candidates.ts';
import { BACKEND_IDS, initBackend } from '../src/backends/index.ts';

/** Every way a machine without a usable adapter is reported, each in one line. */
const NO_ADAPTER = /webgpu \(dawn\.node\) unavailable|no Vulkan loader, so no WebGPU adapter|no Vulkan driver: VK_DRIVER_FILES|Dawn found no Vulkan-capable GPU adapter|only a software WebGPU adapter/;
const gpuVisible = hasNvidiaGpu();

afterEach(() => {
  delete process.env.REWIND_BACKEND;
  mock.restoreAll();
});

describe('webgpu candidate', () => {
  test('sits after tensorflow-gpu and before the CPU backends', () => {
    assert.deepEqual(BACKEND_IDS, ['tensorflow-gpu', 'webgpu', 'tensorflow', 'rewind-native', 'wasm', 'cpu']);
  });

  test('auto passes over it with a one-line reason, warning only on a machine with an NVIDIA GPU', async () => {
    const warn = mock.method(console, 'warn', () => {});
    const choice = await initBackend();
    const webgpuWarnings = warn.mock.calls.filter((call) => String(call.arguments[0]).includes('backend webgpu'));
    if (choice.name === 'webgpu') {
      assert.ok(gpuVisible, 'webgpu only starts where a GPU is');
      assert.equal(tf.getBackend(), 'webgpu');
      return;
    }
    const passedOver = /webgpu: ([^;]*)/.exec(choice.reason)?.[1] ?? '';
    assert.match(passedOver, NO_ADAPTER);
    assert.doesNotMatch(passedOver, /\n/);
    assert.notEqual(tf.getBackend(), 'webgpu');
    assert.equal(webgpuWarnings.length, gpuVisible ? 1 : 0);
  });

  test('REWIND_BACKEND=webgpu without an adapter is an error that says why', async () => {
    process.env.REWIND_BACKEND = 'webgpu';
    const outcome = await initBackend().then(
      (choice) => choice.name,
      (error: Error) => error.message,
    );
    if (outcome === 'webgpu') assert.ok(gpuVisible, 'webgpu only starts where a GPU is');
    else {
      assert.match(outcome, /^backend 'webgpu' was requested but is unavailable: /);
      assert.match(outcome, NO_ADAPTER);
    }
  });
});
