/**
 * scripts/build-gpu-bundle.sh builds a folder that runs on its own: built outside the repo (so no
 * node_modules can be reached), its run.sh finds the bundled Vulkan loader and libglvnd, sees no GPU
 * driver here (and says what a GPU machine needs), and runs the bench, the Fashion-MNIST check and
 * the kernel profile on a CPU backend. Pointed at lavapipe (Mesa's software Vulkan driver), the same
 * folder trains on webgpu with its steps replayed from a recording. --archive's OUT.tar.xz unpacks
 * with python3's tarfile alone (built at xz level 0 here, to stay fast).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { scaled } from '@rewind/dev-cluster';
import { softwareWebgpuEnv } from '../support/software-webgpu.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-gpu-bundle.sh', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'rewind-gpu-bundle-'));
const unpacked = mkdtempSync(join(tmpdir(), 'rewind-gpu-bundle-unpacked-'));
const LIBS = join(out, 'gpu-libs/usr/lib/x86_64-linux-gnu');
// The Vulkan loader, then libglvnd, which the NVIDIA ICD libGLX_nvidia.so.0 needs.
const GPU_LIBS = ['libvulkan.so.1', 'libGLdispatch.so.0', 'libGLX.so.0', 'libGL.so.1', 'libEGL.so.1', 'libOpenGL.so.0', 'libGLESv2.so.2'];
const HINT = /^run\.sh: hint: no GPU adapter\. VK_DRIVER_FILES .*graphics.*libGLX_nvidia\.so\.0 needs libglvnd \(libGLdispatch\.so\.0/gm;
/** Every child here is killed past this (an idle machine needs well under a tenth of it), so nothing hangs. */
const CHILD = { timeout: scaled(600_000), killSignal: 'SIGKILL' } as const;
const hasPython = spawnSync('python3', ['--version']).status === 0;
type Run = { status: number | null; stdout: string; stderr: string };
/** `--quick --all` on the CPU: the bench with each kernel set (--compare), the training check, the profile. */
let run: Run;
let onLavapipe: Run;

function runSh(...args: string[]): Run {
  const env = { ...process.env };
  for (const name of ['VK_DRIVER_FILES', 'REWIND_BACKEND', 'REWIND_WEBGPU_KERNELS', 'REWIND_WEBGPU_ALLOW_SOFTWARE', 'REWIND_STEP_REPLAY', 'WORKLOADS']) delete env[name];
  return spawnSync(join(out, 'run.sh'), args, { cwd: tmpdir(), env, encoding: 'utf8', ...CHILD });
}

before(() => {
  execFileSync(SCRIPT, ['--archive', out], { stdio: 'pipe', env: { ...process.env, GPU_BUNDLE_XZ_LEVEL: '0' }, ...CHILD });
  run = runSh('--quick', '--all');
  // LeNet only: a convolution step takes seconds on the software device. Tuned as on a GPU, 2 tilings a product.
  const lavapipe = softwareWebgpuEnv({ REWIND_WEBGPU_ALLOW_SOFTWARE: '1', WORKLOADS: 'lenet-60', REWIND_WEBGPU_TUNE: '2', REWIND_WEBGPU_TUNING_FILE: undefined });
  onLavapipe = spawnSync(join(out, 'run.sh'), ['--quick'], { cwd: tmpdir(), env: lavapipe, encoding: 'utf8', ...CHILD });
});
after(() => {
  for (const path of [out, `${out}.tar.xz`, unpacked]) rmSync(path, { recursive: true, force: true });
});

function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = join(prefix, entry.name);
    return entry.isDirectory() ? [`${path}/`, ...listTree(dir, path)] : [path];
  });
}

describe('GPU bundle', () => {
  test('carries Node, dawn.node, the Vulkan loader, libglvnd and a slice of Fashion-MNIST', () => {
    accessSync(join(out, 'bin/node'), constants.X_OK);
    accessSync(join(out, 'app/node_modules/webgpu/dist/linux-x64/dawn.node'));
    for (const entry of ['gpu.mjs', 'gpu-train-check.mjs', 'gpu-profile.mjs']) accessSync(join(out, 'app', entry));
    for (const lib of GPU_LIBS) accessSync(join(LIBS, lib));
    const labels = gunzipSync(readFileSync(join(out, 'fashion-mnist/train-labels-idx1-ubyte.gz')));
    assert.equal(labels.readUInt32BE(4), 12000);
    assert.equal(labels.length, 8 + 12000);
  });

  test('a library on run.sh\'s LD_LIBRARY_PATH finds the bundled libGLdispatch, as libGLX_nvidia.so.0 must', (t) => {
    assert.match(run.stdout, new RegExp(`^run\\.sh: mode all \\(quick\\); VK_DRIVER_FILES=\\S+; libs ${LIBS}; GPU `, 'm'));
    const ldd = spawnSync('ldd', [join(LIBS, 'libGLX.so.0')], { env: { ...process.env, LD_LIBRARY_PATH: LIBS }, encoding: 'utf8' });
    if (ldd.error) return t.skip('no ldd here');
    assert.match(ldd.stdout, new RegExp(`libGLdispatch\\.so\\.0 => ${LIBS}/libGLdispatch\\.so\\.0`));
  });

  test('run.sh --quick --all finds the bundled Vulkan loader, falls back without a driver, and trains', () => {
    assert.equal(run.status, 0, run.stderr);
    // One hint for the whole run, though the benches, the check and the profile all fell back.
    assert.equal(run.stderr.match(HINT)?.length, 1, run.stderr);
    // The loader was found (LD_LIBRARY_PATH works); only the NVIDIA ICD is missing on this machine.
    assert.match(run.stdout, /note: no GPU backend here, these are cpu \(CPU\) figures: .*no Vulkan driver: VK_DRIVER_FILES=\/usr\/local\/nvidia/);
    assert.doesNotMatch(run.stdout, /no Vulkan loader/);
    assert.match(run.stdout, /REWIND_WEBGPU_KERNELS=rewind/);
    assert.match(run.stdout, /^lenet-60 +\d+ +[\d.]+ /m);
    assert.match(run.stdout, /train-check PASS: cpu, 60 steps on 12000 examples, loss [\d.]+ -> [\d.]+/);
  });

  test('its profile prints a kernel table per workload it can train', () => {
    assert.match(run.stdout, /^readback \(drain\) [\d.]+ ms; tiny dispatch/m);
    // No step recorder on the CPU: only the time through tfjs.
    assert.match(
      run.stdout,
      /^lenet-60 \(batch 60\) on cpu: steps through tfjs [\d.]+ ms\/step .*; replayed from a recording - \(no step recorder on this backend\); \d+ launches\/step in \d+ groups; re-launched one group at a time they sum to [\d.]+ ms\/step/m,
    );
    assert.match(run.stdout, /^BatchMatMul +1 +[\d.]+ +[\d.]+ +[\d.]+ +\[60,784\] \[784,300\]$/m);
    assert.match(run.stdout, /^conv2-60: skipped \(cpu cannot train convolutions in useful time\)$/m);
    assert.doesNotMatch(run.stdout, /replay failed|FAILED/);
  });

  test('its --compare part runs the bench with the stock kernels, then the Rewind ones, then with step replay', () => {
    const headers = [...run.stdout.matchAll(/^bench:gpu — .*\(REWIND_WEBGPU_KERNELS=(\w+), step replay (\w+)\)/gm)].map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(headers, ['stock off', 'rewind off', 'rewind on'], run.stdout);
    assert.equal(run.stdout.match(/^lenet-60 +\d+ /gm)?.length, 3);
  });

  test('on a Vulkan device (lavapipe here) the bundle trains on webgpu and replays its steps', () => {
    assert.equal(onLavapipe.status, 0, onLavapipe.stderr);
    assert.match(onLavapipe.stdout, /^bench:gpu — tfjs webgpu \(REWIND_WEBGPU_KERNELS=rewind, step replay on\)/m);
    assert.match(onLavapipe.stdout, /^lenet-60 +\d+ +[\d.]+ /m);
    assert.match(onLavapipe.stderr, /rewind: training steps are replayed from a recording on webgpu \(\d+ dispatches/);
    assert.match(onLavapipe.stdout, /train-check PASS: webgpu\/rewind, 60 steps on 12000 examples/);
    assert.doesNotMatch(onLavapipe.stderr, HINT);
    // What the adapter offers, with Dawn's defaults and with the backend's options (the f16 toggle for NVIDIA).
    const offers = onLavapipe.stdout.split('\n').filter((l) => l.startsWith('{"options"')).map((l) => JSON.parse(l));
    assert.deepEqual(offers.map((o) => o.options), [[], ['enable-dawn-features=vulkan_enable_f16_on_nvidia']], onLavapipe.stdout);
    for (const offer of offers) assert.ok(offer.software && offer.features.includes('shader-f16') && offer.limits.maxComputeWorkgroupStorageSize > 0, JSON.stringify(offer));
  });

  test('on a Vulkan device the bench tunes its products during the warm-up, and the later parts reuse the tuning from the bundle\'s tilings file', () => {
    assert.equal(onLavapipe.status, 0, onLavapipe.stderr);
    const file = join(out, 'webgpu-tilings.json');
    // The bench tunes what its steps launch; the training check then finds them in the file.
    const enabled = [...onLavapipe.stderr.matchAll(/rewind: webgpu tilings are tuned to this GPU between steps \(up to 2 a product; (\d+) products known from (\S+)\)/g)];
    assert.deepEqual(
      enabled.map((m) => m[2]),
      [file, file],
      onLavapipe.stderr.slice(-3000),
    );
    assert.equal(enabled[0]![1], '0');
    assert.ok(Number(enabled[1]![1]) > 0, 'the check starts with the bench\'s tuning');
    assert.match(onLavapipe.stderr, /rewind: webgpu tilings tuned for [1-9]\d* of \d+ products/);
    const { devices } = JSON.parse(readFileSync(file, 'utf8'));
    assert.match(Object.keys(devices)[0]!, /llvmpipe/);
  });

  test('--archive writes OUT.tar.xz, which python3\'s tarfile unpacks to the same tree', (t) => {
    if (!hasPython) return t.skip('no python3 here');
    const unpack = 'import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])';
    execFileSync('python3', ['-c', unpack, `${out}.tar.xz`, unpacked], { stdio: 'pipe', ...CHILD });
    // The lavapipe run has since added its tuning to the folder.
    assert.deepEqual(listTree(unpacked).sort(), listTree(out).filter((path) => path !== 'webgpu-tilings.json').sort());
    accessSync(join(unpacked, 'run.sh'), constants.X_OK);
    accessSync(join(unpacked, 'bin/node'), constants.X_OK);
    assert.ok(lstatSync(join(unpacked, 'gpu-libs/usr/lib/x86_64-linux-gnu/libGLdispatch.so.0')).isSymbolicLink());
    const help = spawnSync(join(unpacked, 'run.sh'), ['--help'], { encoding: 'utf8', ...CHILD });
    assert.equal(help.status, 0);
    assert.ok(help.stdout.includes(`python3 -c "${unpack}" bundle.tar.xz DIR`), help.stdout);
  });

  test('run.sh rejects an unknown option with its usage', () => {
    const bad = runSh('--fast');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option '--fast'[\s\S]*usage: \.\/run\.sh/);
  });
});
