/**
 * scripts/build-gpu-bundle.sh builds a folder that runs on its own: built outside the repo (so no
 * node_modules can be reached), its run.sh finds the bundled Vulkan loader, sees no GPU driver
 * here, and runs the bench and the Fashion-MNIST check on a CPU backend.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-gpu-bundle.sh', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'rewind-gpu-bundle-'));
let run: { status: number | null; stdout: string; stderr: string };

before(() => {
  execFileSync(SCRIPT, [out], { stdio: 'pipe' });
  const env = { ...process.env };
  delete env.VK_DRIVER_FILES;
  delete env.REWIND_BACKEND;
  run = spawnSync(join(out, 'run.sh'), ['--quick'], { cwd: tmpdir(), env, encoding: 'utf8' });
});
after(() => rmSync(out, { recursive: true, force: true }));

describe('GPU bundle', () => {
  test('carries Node, dawn.node, the Vulkan loader and a slice of Fashion-MNIST', () => {
    accessSync(join(out, 'bin/node'), constants.X_OK);
    accessSync(join(out, 'app/node_modules/webgpu/dist/linux-x64/dawn.node'));
    accessSync(join(out, 'vulkan/usr/lib/x86_64-linux-gnu/libvulkan.so.1'));
    const labels = gunzipSync(readFileSync(join(out, 'fashion-mnist/train-labels-idx1-ubyte.gz')));
    assert.equal(labels.readUInt32BE(4), 12000);
    assert.equal(labels.length, 8 + 12000);
  });

  test('run.sh --quick finds the bundled Vulkan loader, falls back without a driver, and trains', () => {
    assert.equal(run.status, 0, run.stderr);
    // The loader was found (LD_LIBRARY_PATH works); only the NVIDIA ICD is missing on this machine.
    assert.match(run.stdout, /note: no GPU backend here, these are cpu \(CPU\) figures: .*no Vulkan driver: VK_DRIVER_FILES=\/usr\/local\/nvidia/);
    assert.doesNotMatch(run.stdout, /no Vulkan loader/);
    assert.match(run.stdout, /^lenet-60 +\d+ +/m);
    assert.match(run.stdout, /train-check PASS: cpu, 60 steps on 12000 examples/);
  });
});
