/** The backend layer against the real packages on this machine: auto selection, overrides, fallback. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_IDS, initBackend } from '../src/backends/index.ts';

const tfjsNodeSpecifier = '@tensorflow/tfjs-node';
const hasTfjsNode = await import(tfjsNodeSpecifier).then(
  () => true,
  () => false,
);

afterEach(() => {
  delete process.env.REWIND_BACKEND;
  delete process.env.REWIND_NATIVE_ADDON;
});

describe('initBackend', () => {
  test('auto picks the fastest backend present, and tfjs runs on it', async () => {
    const choice = await initBackend();
    assert.equal(choice.name, hasTfjsNode ? 'tensorflow' : 'rewind-native');
    assert.equal(tf.getBackend(), hasTfjsNode ? 'tensorflow' : 'rewind-native');
    if (!hasTfjsNode) assert.match(choice.reason, /passed over: tensorflow-gpu: .*tensorflow: /);
  });

  test('the preference argument overrides auto, and beats REWIND_BACKEND', async () => {
    process.env.REWIND_BACKEND = 'wasm';
    const choice = await initBackend('cpu');
    assert.equal(choice.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
  });

  test('REWIND_BACKEND overrides auto', async () => {
    process.env.REWIND_BACKEND = 'wasm';
    const choice = await initBackend();
    assert.equal(choice.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  test('an unknown override is an error that lists the allowed values', async () => {
    await assert.rejects(initBackend('tpu'), (error: Error) => {
      assert.match(error.message, /unknown backend 'tpu'/);
      for (const id of ['auto', ...BACKEND_IDS]) assert.ok(error.message.includes(id), `lists ${id}`);
      return true;
    });
  });

  test('without the addon, auto falls back to the next backend and says why', async () => {
    process.env.REWIND_NATIVE_ADDON = '/nonexistent/rewind_native.node';
    const choice = await initBackend();
    assert.equal(choice.name, hasTfjsNode ? 'tensorflow' : 'wasm');
    if (!hasTfjsNode) assert.match(choice.reason, /rewind-native: addon not built \(\/nonexistent\/rewind_native\.node missing/);
  });

  test('explicitly requesting a backend that cannot start is an error, not a silent downgrade', async () => {
    process.env.REWIND_NATIVE_ADDON = '/nonexistent/rewind_native.node';
    await assert.rejects(initBackend('rewind-native'), /'rewind-native' was requested but is unavailable: addon not built/);
  });
});
