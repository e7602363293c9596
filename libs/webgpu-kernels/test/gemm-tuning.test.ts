/**
 * The pure parts of tuning webgpu products: which tilings a product may use, their names, the
 * REWIND_WEBGPU_TUNE setting, the tilings file, and the engine's tuning hook. On a real WebGPU
 * device (bit-identical tilings, tuning, the file across processes): test/webgpu/gemm-tuning.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend, tuneKernels } from '@rewind/engine';
import { registerKernelTuner } from '@rewind/engine/backend-contract';
import { readWebgpuConfig, tilingsToTime } from '../src/config.ts';
import { type GemmOperands, GemmProgram, type GemmSize, stagingBytes, threadCount, tileCols, tileRows, variantName } from '../src/kernels/gemm-program.ts';
import { candidateVariants, DEFAULT_LIMITS, fixedVariant, type GemmLimits, parseVariant, sizedVariant, variantProblem } from '../src/kernels/gemm-variants.ts';
import { TilingsFile } from '../src/kernels/tilings-file.ts';

/** An H100's Vulkan limits, which admit deeper slices of big tiles. */
const H100: GemmLimits = { workgroupStorageBytes: 49152, threadsPerWorkgroup: 1024 };
const SIZES: GemmSize[] = [
  { batch: 1, m: 401408, n: 64, k: 576 }, // Conv-2's second conv at batch 512
  { batch: 1, m: 576, n: 64, k: 401408 }, // its filter gradient
  { batch: 1, m: 1024, n: 300, k: 784 }, // LeNet's first layer at batch 1024
  { batch: 1, m: 60, n: 10, k: 100 },
  { batch: 4, m: 9, n: 11, k: 12 },
];

test('the sized tiling: narrow tiles for few columns, big blocks only where tiles are plenty', () => {
  assert.equal(variantName(sizedVariant({ batch: 1, m: 5000, n: 16, k: 9 })), '4x4/4x64');
  assert.equal(variantName(sizedVariant({ batch: 1, m: 5000, n: 32, k: 9 })), '4x4/8x32');
  assert.equal(variantName(sizedVariant({ batch: 1, m: 1024, n: 300, k: 784 })), '4x4');
  assert.equal(variantName(sizedVariant({ batch: 1, m: 401408, n: 64, k: 576 })), '8x4');
  assert.equal(variantName(sizedVariant({ batch: 1, m: 200000, n: 256, k: 100 })), '8x8');
});

test('every candidate tiling compiles within the limits, fits its product, and its name parses back to it', () => {
  for (const limits of [DEFAULT_LIMITS, H100]) {
    for (const size of SIZES) {
      for (const [depth, prefetch, doubleBuffered] of [8, 16, 32].flatMap((d) => [false, true].flatMap((p) => [[d, p, false], [d, p, true]] as const))) {
        const candidates = candidateVariants(size, limits, depth as 8 | 16 | 32, prefetch, doubleBuffered);
        const sized = { ...sizedVariant(size), depth: depth as 8 | 16 | 32, prefetch, doubleBuffered };
        if (variantProblem(sized, limits) === undefined) assert.deepEqual(candidates[0], sized, 'the sized tiling comes first');
        else assert.ok(!candidates.some((v) => variantName(v) === variantName(sized)), 'a tiling that cannot compile is left out');
        assert.equal(new Set(candidates.map(variantName)).size, candidates.length, 'no tiling twice');
        for (const v of candidates) {
          const name = variantName(v);
          assert.ok(stagingBytes(v) <= limits.workgroupStorageBytes && threadCount(v) <= limits.threadsPerWorkgroup, name);
          assert.deepEqual(parseVariant(name, limits), v);
          // Every thread stages whole elements on every pass: integer trip counts in the shader.
          assert.equal((tileRows(v) * v.depth) % threadCount(v), 0, name);
          assert.equal((tileCols(v) * v.depth) % threadCount(v), 0, name);
          const code = new GemmProgram(OPERANDS, v, size, 1, [size.m, size.n]).getUserCode();
          for (const [, bound] of code.matchAll(/p < ([^;]+);/g)) assert.match(bound!, /^\d+$/, `${name}: pass count ${bound}`);
        }
      }
    }
  }
  // The H100's larger workgroup memory admits tilings the defaults do not.
  const conv = SIZES[0]!;
  assert.ok(candidateVariants(conv, H100, 32).length > candidateVariants(conv, DEFAULT_LIMITS, 32).length);
  assert.deepEqual(parseVariant('8x4/16x8d32p', H100), { rows: 8, cols: 4, threadCols: 16, threadRows: 8, depth: 32, prefetch: true, doubleBuffered: false });
  assert.deepEqual(parseVariant('8x8pb', H100), { rows: 8, cols: 8, threadCols: 16, threadRows: 16, depth: 16, prefetch: true, doubleBuffered: true });
  // Two buffers take twice the workgroup memory: 4x4 at depth 16 fits the defaults with one buffer only.
  assert.equal(typeof parseVariant('4x4', DEFAULT_LIMITS), 'object');
  assert.match(parseVariant('4x4b', DEFAULT_LIMITS) as string, /17408 bytes of workgroup memory \(at most 16384\)/);
});

const OPERANDS: GemmOperands = {
  key: 'test',
  variableNames: ['A', 'B'],
  uniforms: [],
  loadA: 'fn loadA(batch: i32, row: i32, k: i32) -> f32 { return A[row * uniforms.gemmK + k]; }',
  loadB: 'fn loadB(batch: i32, k: i32, col: i32) -> f32 { return B[k * uniforms.gemmN + col]; }',
  aContiguous: 'k',
  bContiguous: 'col',
};

test('a wrong tiling name says what a name is, or why the device cannot compile it', () => {
  assert.match(parseVariant('8x6', DEFAULT_LIMITS) as string, /not RxC\[\/TCxTR\]\[dD\]\[p\]\[b\]: R and C each 4 or 8/);
  assert.match(parseVariant('8x8d32', DEFAULT_LIMITS) as string, /cannot compile on this device: \d+ bytes of workgroup memory \(at most 16384\)/);
  assert.equal(typeof parseVariant('8x8d32', H100), 'object');
  assert.match(parseVariant('4x4/32x32', DEFAULT_LIMITS) as string, /1024 threads \(at most 256\)/);
  assert.throws(() => fixedVariant(DEFAULT_LIMITS, 'big'), /REWIND_WEBGPU_GEMM_VARIANT='big' is not RxC/);
  assert.equal(fixedVariant(DEFAULT_LIMITS, ''), undefined);
});

test('REWIND_WEBGPU_TUNE: on by default on a GPU, off on a software adapter or a fixed tiling, a limit, or an error naming the choices', () => {
  const tilings = (env: Record<string, string>, software: boolean) => tilingsToTime(readWebgpuConfig(env), software);
  assert.equal(tilings({}, false), 32);
  assert.equal(tilings({}, true), 0);
  assert.equal(tilings({ REWIND_WEBGPU_GEMM_VARIANT: '8x8' }, false), 0);
  assert.equal(tilings({ REWIND_WEBGPU_TUNE: 'on' }, true), 32);
  assert.equal(tilings({ REWIND_WEBGPU_TUNE: 'off' }, false), 0);
  assert.equal(tilings({ REWIND_WEBGPU_TUNE: '5' }, false), 5);
  assert.equal(tilings({ REWIND_WEBGPU_TUNE: '5', REWIND_WEBGPU_KERNELS: 'stock' }, false), 0, "tfjs's kernels have no tilings");
  for (const wrong of ['0', 'fast', '2.5']) {
    assert.throws(() => readWebgpuConfig({ REWIND_WEBGPU_TUNE: wrong }), /REWIND_WEBGPU_TUNE must be 'on', 'off' or the most tilings to time per product/);
  }
});

test('the webgpu settings are read once into a typed config, and every wrong one is named in one error', () => {
  assert.deepEqual(readWebgpuConfig({ XDG_CACHE_HOME: '/cache' }), {
    allowSoftware: false,
    kernels: 'rewind',
    submitBatch: undefined,
    tilingsPerProduct: 'default',
    gemmVariant: undefined,
    tilingsFile: '/cache/rewind/webgpu-tilings.json',
    stepReplay: 'on',
  });
  const set = readWebgpuConfig({ REWIND_WEBGPU_ALLOW_SOFTWARE: '1', REWIND_WEBGPU_KERNELS: 'stock', REWIND_WEBGPU_SUBMIT_BATCH: '64', REWIND_WEBGPU_GEMM_VARIANT: '8x8d32' });
  assert.equal(set.allowSoftware, true);
  assert.equal(set.kernels, 'stock');
  assert.equal(set.submitBatch, 64);
  assert.equal(set.gemmVariant, '8x8d32');
  assert.equal(readWebgpuConfig({ REWIND_STEP_REPLAY: 'off' }).stepReplay, 'off');
  assert.throws(
    () => readWebgpuConfig({ REWIND_WEBGPU_KERNELS: 'fast', REWIND_WEBGPU_SUBMIT_BATCH: '0', REWIND_WEBGPU_TUNE: 'x', REWIND_STEP_REPLAY: 'yes' }),
    (error: Error) =>
      /^4 webgpu settings are wrong: REWIND_WEBGPU_KERNELS must be 'rewind' or 'stock' \(got 'fast'\); REWIND_WEBGPU_SUBMIT_BATCH must be a positive integer \(got '0'\); REWIND_WEBGPU_TUNE must be .*; REWIND_STEP_REPLAY must be 'on' or 'off' \(got 'yes'\)$/.test(
        error.message,
      ),
  );
});

test('the tilings file: per device, merged with what others wrote, and set aside with one warning when unreadable', (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'rewind-tilings-')), 'sub', 'tilings.json');
  assert.equal(readWebgpuConfig({ REWIND_WEBGPU_TUNING_FILE: 'none' }).tilingsFile, undefined);
  assert.equal(readWebgpuConfig({ REWIND_WEBGPU_TUNING_FILE: path }).tilingsFile, path);

  const h100 = new TilingsFile(path, 'H100');
  assert.deepEqual(h100.load(), new Map());
  h100.save(new Map([['conv a', '8x8']]));
  new TilingsFile(path, 'L4').save(new Map([['conv a', '4x4']]));
  h100.save(new Map([['conv b', '4x8/8x32']]));
  assert.deepEqual(h100.load(), new Map([['conv a', '8x8'], ['conv b', '4x8/8x32']]));
  assert.deepEqual(new TilingsFile(path, 'L4').load(), new Map([['conv a', '4x4']]));

  const warnings = t.mock.method(console, 'warn', () => {});
  writeFileSync(path, '{"version": 2}');
  const reader = new TilingsFile(path, 'H100');
  assert.deepEqual(reader.load(), new Map());
  assert.deepEqual(reader.load(), new Map());
  assert.equal(warnings.mock.callCount(), 1);
  assert.match(String(warnings.mock.calls[0]!.arguments[0]), /tilings\.json: not a version 1 tilings file; its products are tuned again/);
  reader.save(new Map([['conv c', '8x4']]));
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { version: 1, devices: { H100: { 'conv c': '8x4' } } });
});

test('tuneKernels runs the active backend tuner only when it has something to tune', async () => {
  await ensureBackend();
  let pending = false;
  let tunes = 0;
  registerKernelTuner(tf.getBackend(), {
    get pending() {
      return pending;
    },
    async tune() {
      tunes++;
      pending = false;
    },
  });
  try {
    await tuneKernels();
    assert.equal(tunes, 0);
    pending = true;
    await tuneKernels();
    await tuneKernels();
    assert.equal(tunes, 1);
  } finally {
    registerKernelTuner(tf.getBackend(), { pending: false, tune: async () => {} });
  }
});
