/**
 * The webgpu candidate on this machine: its place in the order, and how it steps aside when there
 * is no GPU adapter (no Vulkan loader, no ICD, or the optional packages missing). Then the same
 * candidate on lavapipe, Mesa's software Vulkan device, in child processes: real Dawn, real WGSL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, before, describe, mock, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type ChildResult, runTsx, softwareWebgpuEnv } from '../../../test/support/software-webgpu.ts';
import { hasNvidiaGpu } from '../src/backends/candidates.ts';
import { BACKEND_IDS, initBackend } from '../src/backends/index.ts';
import { driverManifestPaths, findDriverManifests } from '@rewind/webgpu-kernels';

/** Prints the engine's backend choice, or a short training run's outcome, as one JSON line. */
const ENGINE_CHILD = new URL('../../../test/support/engine-child.ts', import.meta.url).pathname;

/** Every way a machine without a usable adapter is reported, each in one line. */
const NO_ADAPTER = /webgpu \(dawn\.node\) unavailable|no Vulkan loader, so no WebGPU adapter|no Vulkan driver: |Dawn found no Vulkan-capable GPU adapter|only a software WebGPU adapter/;
const gpuVisible = hasNvidiaGpu();

afterEach(() => {
  delete process.env.REWIND_BACKEND;
  mock.restoreAll();
});

describe('Vulkan driver search, as the loader does it on Linux', () => {
  test('reads the XDG folders, then /etc and /usr, with VK_ADD_DRIVER_FILES first', () => {
    assert.deepEqual(driverManifestPaths({ VK_ADD_DRIVER_FILES: '/opt/a.json' }, '/home/u'), [
      '/opt/a.json',
      '/home/u/.config/vulkan/icd.d',
      '/etc/xdg/vulkan/icd.d',
      '/usr/local/etc/vulkan/icd.d',
      '/etc/vulkan/icd.d',
      '/home/u/.local/share/vulkan/icd.d',
      '/usr/local/share/vulkan/icd.d',
      '/usr/share/vulkan/icd.d',
    ]);
    assert.deepEqual(driverManifestPaths({ XDG_CONFIG_HOME: '/c', XDG_CONFIG_DIRS: '/d1:/d2', XDG_DATA_HOME: '/h', XDG_DATA_DIRS: '/s' }, '/home/u'), [
      '/c/vulkan/icd.d',
      '/d1/vulkan/icd.d',
      '/d2/vulkan/icd.d',
      '/usr/local/etc/vulkan/icd.d',
      '/etc/vulkan/icd.d',
      '/h/vulkan/icd.d',
      '/s/vulkan/icd.d',
    ]);
  });

  test('VK_DRIVER_FILES, or the older VK_ICD_FILENAMES, replaces the search', () => {
    assert.deepEqual(driverManifestPaths({ VK_DRIVER_FILES: '/x/lvp.json:/y', VK_ICD_FILENAMES: '/old.json' }), ['/x/lvp.json', '/y']);
    assert.deepEqual(driverManifestPaths({ VK_ICD_FILENAMES: '/old.json' }), ['/old.json']);
  });

  test('finds named manifests that exist and the .json files in named folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rewind-icd-'));
    try {
      assert.deepEqual(findDriverManifests({ VK_DRIVER_FILES: `${dir}:${join(dir, 'absent.json')}` }), []);
      const manifest = join(dir, 'lvp_icd.x86_64.json');
      writeFileSync(manifest, '{}');
      writeFileSync(join(dir, 'notes.txt'), '');
      assert.deepEqual(findDriverManifests({ VK_DRIVER_FILES: dir }), [manifest]);
      assert.deepEqual(findDriverManifests({ VK_DRIVER_FILES: manifest }), [manifest]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('webgpu candidate', () => {
  test("the backend choice on a machine without a Vulkan driver prints none of Dawn's or the loader's warnings", async () => {
    // This machine's own driver search: no lavapipe, and an empty home, so only system ICDs count.
    const home = mkdtempSync(join(tmpdir(), 'rewind-home-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    for (const name of ['REWIND_BACKEND', 'REWIND_WEBGPU_ALLOW_SOFTWARE', 'VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'VK_ADD_DRIVER_FILES', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME']) delete env[name];
    try {
      const run = await runTsx(ENGINE_CHILD, ['backend'], env);
      const choice = outcomeOf<Choice>(run);
      assert.doesNotMatch(run.stderr, /vkCreateInstance|VK_ERROR|VulkanError|CheckVkSuccess/);
      if (findDriverManifests(env).length === 0) {
        assert.notEqual(choice.name, 'webgpu');
        assert.equal(webgpuPassedOver(choice.reason), "no Vulkan driver: no ICD file in the loader's search path (vulkan/icd.d)");
        assert.doesNotMatch(run.stderr, /Warning/);
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

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


/** The child's JSON line (its last line on stdout), after checking it exited cleanly. */
function outcomeOf<T>(run: ChildResult): T {
  assert.equal(run.code, 0, `child failed:\n${run.stderr.slice(-4000)}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as T;
}

/** The one-line reason the auto choice gives for passing over webgpu. */
const webgpuPassedOver = (reason: string) => /webgpu: ([^;]*)/.exec(reason)?.[1] ?? '';

interface Choice {
  readonly name: string;
  readonly reason: string;
}
interface Trained {
  readonly backend: string;
  readonly loss: number;
  readonly accuracy: number;
  readonly trainLoss: number;
  readonly weightsHash: string;
  /** Checkpoints and a snapshot read mid-run, with their weights' hashes. */
  readonly reads: readonly string[];
}

describe('webgpu candidate on lavapipe (software Vulkan)', () => {
  // The children start in before(); each test awaits its own. The webgpu trainings compile the same shaders,
  // and lavapipe's shader cache spares a child only those compiled before it asks: started together, each
  // compiled all of them (about 60 CPU-s more, cold). So one webgpu training runs first, alone beside the
  // others, and the other three start when it ends.
  let runs: Record<'refused' | 'allowed' | 'noIcd' | 'trainWebgpu' | 'trainWebgpuUnreplayed' | 'trainWebgpuTuned' | 'trainCpu' | 'gpuError', Promise<ChildResult>>;
  before(() => {
    const backend = (extra: Record<string, string>) => runTsx(ENGINE_CHILD, ['backend'], softwareWebgpuEnv(extra));
    // LeNet-300-100 on the synthetic dataset, 40 steps of batch 60: several epochs of a learnable task.
    const trainOn = (name: string, extra: Record<string, string> = {}) =>
      runTsx(ENGINE_CHILD, ['train', 'synthetic', '40'], softwareWebgpuEnv({ REWIND_BACKEND: name, REWIND_WEBGPU_ALLOW_SOFTWARE: '1', ...extra }));
    const trainWebgpu = trainOn('webgpu');
    const afterFirst = (start: () => Promise<ChildResult>) => trainWebgpu.then(start, start);
    runs = {
      refused: backend({}),
      allowed: backend({ REWIND_BACKEND: 'webgpu', REWIND_WEBGPU_ALLOW_SOFTWARE: '1' }),
      noIcd: backend({ REWIND_WEBGPU_ALLOW_SOFTWARE: '1', VK_DRIVER_FILES: '/nonexistent/lvp_icd.json' }),
      trainWebgpu,
      trainWebgpuUnreplayed: afterFirst(() => trainOn('webgpu', { REWIND_STEP_REPLAY: 'off' })),
      // At most 3 tilings timed per product: lavapipe compiles each shader slowly.
      trainWebgpuTuned: afterFirst(() => trainOn('webgpu', { REWIND_WEBGPU_TUNE: '3', REWIND_WEBGPU_TUNING_FILE: 'none' })),
      trainCpu: trainOn('cpu'),
      gpuError: afterFirst(() => runTsx(ENGINE_CHILD, ['train-after-gpu-error'], softwareWebgpuEnv({ REWIND_BACKEND: 'webgpu', REWIND_WEBGPU_ALLOW_SOFTWARE: '1' }))),
    };
  });

  test('auto passes over a software adapter in one line and trains on rewind-native', async () => {
    const choice = outcomeOf<Choice>(await runs.refused);
    assert.equal(choice.name, 'rewind-native');
    assert.match(webgpuPassedOver(choice.reason), /^only a software WebGPU adapter \(mesa \/ software \/ llvmpipe/);
  });

  test('REWIND_WEBGPU_ALLOW_SOFTWARE=1 with REWIND_BACKEND=webgpu takes the llvmpipe adapter', async () => {
    const run = await runs.allowed;
    const choice = outcomeOf<Choice>(run);
    assert.equal(choice.name, 'webgpu');
    assert.match(choice.reason, /adapter mesa \/ software \/ llvmpipe/);
    assert.match(choice.reason, /software adapter allowed by REWIND_WEBGPU_ALLOW_SOFTWARE/);
    assert.match(run.stderr, /rewind: training backend webgpu \(.*llvmpipe/);
  });

  test('a VK_DRIVER_FILES naming no file is a one-line fallback, before Dawn starts', async () => {
    const run = await runs.noIcd;
    const choice = outcomeOf<Choice>(run);
    assert.equal(choice.name, 'rewind-native');
    assert.equal(webgpuPassedOver(choice.reason), 'no Vulkan driver: VK_DRIVER_FILES=/nonexistent/lvp_icd.json names no existing ICD file');
    // Dawn never ran: none of its or the Vulkan loader's warnings.
    assert.doesNotMatch(run.stderr, /Warning|loader|vkCreateInstance/i);
  });

  test('a GPU error reported by the device fails training instead of yielding garbage', async () => {
    const outcome = outcomeOf<{ error?: string; message?: string }>(await runs.gpuError);
    assert.equal(outcome.error, 'BackendFailedError', JSON.stringify(outcome));
    assert.match(outcome.message!, /the training backend reported a GPU error, so results computed since are invalid \(webgpu: .*WGSL/);
  });

  test('train() on webgpu/lavapipe reaches the loss and accuracy of the same run on cpu', async () => {
    const [gpu, cpu] = [outcomeOf<Trained>(await runs.trainWebgpu), outcomeOf<Trained>(await runs.trainCpu)];
    assert.equal(gpu.backend, 'webgpu');
    assert.equal(cpu.backend, 'cpu');
    for (const value of [gpu.loss, gpu.trainLoss, gpu.accuracy]) assert.ok(Number.isFinite(value), `webgpu: ${JSON.stringify(gpu)}`);
    assert.ok(cpu.accuracy > 0.5, `the reference learns: ${JSON.stringify(cpu)}`);
    assert.ok(Math.abs(gpu.accuracy - cpu.accuracy) <= 0.03, `accuracy: webgpu ${gpu.accuracy} vs cpu ${cpu.accuracy}`);
    assert.ok(Math.abs(gpu.loss - cpu.loss) <= 0.05 * cpu.loss, `test loss: webgpu ${gpu.loss} vs cpu ${cpu.loss}`);
    assert.ok(Math.abs(gpu.trainLoss - cpu.trainLoss) <= 0.05 * cpu.trainLoss, `train loss: webgpu ${gpu.trainLoss} vs cpu ${cpu.trainLoss}`);
  });

  test('train() on webgpu replays its steps from a recording, with the same weights as running each through tfjs', async () => {
    const replayedRun = await runs.trainWebgpu;
    const [replayed, unreplayed] = [outcomeOf<Trained>(replayedRun), outcomeOf<Trained>(await runs.trainWebgpuUnreplayed)];
    assert.match(replayedRun.stderr, /rewind: training steps are replayed from a recording on webgpu/);
    assert.equal(replayed.weightsHash, unreplayed.weightsHash);
    // Weights read mid-run are the current ones, not a copy tfjs kept from an earlier read of the same tensor.
    assert.equal(replayed.reads.length, 4, replayed.reads.join('\n'));
    assert.equal(new Set(replayed.reads.map((r) => r.split(' ')[2])).size, 4, replayed.reads.join('\n'));
    assert.deepEqual(replayed.reads, unreplayed.reads);
    assert.equal(replayed.trainLoss, unreplayed.trainLoss);
    assert.equal(replayed.loss, unreplayed.loss);
  });

  test('train() on webgpu with its products tuned to the device gives the same weights as with their sized tilings', async () => {
    const tunedRun = await runs.trainWebgpuTuned;
    const [tuned, sized] = [outcomeOf<Trained>(tunedRun), outcomeOf<Trained>(await runs.trainWebgpu)];
    const tuning = /rewind: webgpu tilings tuned for (\d+) of (\d+) products in [\d.]+ s, (\d+) tilings timed/.exec(tunedRun.stderr);
    assert.ok(tuning, tunedRun.stderr.slice(-2000));
    assert.ok(Number(tuning[1]) > 0 && Number(tuning[3]) > Number(tuning[1]), tuning[0]);
    assert.doesNotMatch((await runs.trainWebgpu).stderr, /tilings tuned/, 'a software adapter is not tuned unless asked');
    assert.equal(tuned.weightsHash, sized.weightsHash);
    assert.deepEqual(tuned.reads, sized.reads);
    assert.equal(tuned.trainLoss, sized.trainLoss);
    assert.equal(tuned.loss, sized.loss);
  });
});
