/**
 * Tuning the tilings of Rewind's WGSL products on a real WebGPU device (Dawn over lavapipe): every
 * tiling gives the same bits, and tuning changes nothing but speed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTsx, softwareWebgpuEnv } from '../support/software-webgpu.ts';

const SCRIPT = fileURLToPath(new URL('gemm-tuning.ts', import.meta.url));

interface Outcome {
  readonly products: number;
  readonly checked: readonly string[];
  readonly differing: readonly string[];
  readonly pendingBeforeTuning: boolean;
  readonly tuned: ReadonlyArray<{ readonly product: string; readonly timed: number; readonly sized: string; readonly sizedMs: number; readonly chosen: string }>;
  readonly sameAfterTuning: boolean;
}

test('every tiling of a product gives the same bits, and tuning picks among them without changing results', async () => {
  // At most 3 tilings timed per product: each is a shader that lavapipe compiles slowly.
  const child = await runTsx(SCRIPT, [], softwareWebgpuEnv({ REWIND_WEBGPU_ALLOW_SOFTWARE: '1', REWIND_WEBGPU_TUNE: '3', REWIND_WEBGPU_TUNING_FILE: 'none' }));
  assert.equal(child.code, 0, child.stderr);
  const outcome = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Outcome;
  // matmul with three transposes (one with a split inner dimension), conv2d and both its gradients.
  assert.equal(outcome.products, 6, JSON.stringify(outcome));
  assert.ok(outcome.checked.length >= 3 * outcome.products, `only ${outcome.checked.length} tilings checked`);
  // Each product with two staging buffers too, and with them alone (no prefetch) at least once.
  const products = new Set(outcome.checked.map((c) => c.slice(0, c.lastIndexOf(' '))));
  for (const product of products) assert.ok(outcome.checked.some((c) => c.startsWith(`${product} `) && c.endsWith('b')), `${product}: no double-buffered tiling`);
  assert.ok(outcome.checked.some((c) => /[^p]b$/.test(c)), 'no double-buffered tiling without prefetch');
  assert.deepEqual(outcome.differing, []);

  assert.ok(outcome.pendingBeforeTuning, 'products launched with tuning on wait to be tuned');
  assert.equal(outcome.tuned.length, outcome.products);
  // Products under 0.1 ms keep their sized tiling untimed against others; the deep split product (milliseconds on lavapipe) never is.
  for (const p of outcome.tuned) {
    if (p.sizedMs < 0.1) assert.equal(p.timed, 1, `${p.product}: ${p.sizedMs} ms, yet ${p.timed} tilings timed`);
    else assert.ok(p.timed >= 2 && p.timed <= 3, `${p.product}: ${p.timed} tilings timed (limit 3)`);
  }
  assert.ok(outcome.tuned.some((p) => p.product.endsWith('1x20x30x3000') && p.timed >= 2), JSON.stringify(outcome.tuned));
  assert.ok(outcome.sameAfterTuning, 'the cases give the same bits after tuning');
  assert.match(child.stderr, /rewind: webgpu tilings are tuned to this GPU between steps \(up to 3 a product; no tilings file\)/);
  assert.match(child.stderr, /rewind: webgpu tilings tuned for [1-6] of 6 products in [\d.]+ s, \d+ tilings timed/);
});

test('a tilings file keeps what one process tuned for the next, and an unreadable one is tuned again with a warning', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'rewind-tilings-')), 'tilings.json');
  const run = async () => {
    const child = await runTsx(SCRIPT, ['--no-sweep'], softwareWebgpuEnv({ REWIND_WEBGPU_ALLOW_SOFTWARE: '1', REWIND_WEBGPU_TUNE: '2', REWIND_WEBGPU_TUNING_FILE: path }));
    assert.equal(child.code, 0, child.stderr);
    return { outcome: JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Outcome, stderr: child.stderr };
  };
  const first = await run();
  assert.equal(first.outcome.tuned.length, 6);
  assert.match(first.stderr, new RegExp(`0 products known from ${path}`));
  const file = JSON.parse(readFileSync(path, 'utf8'));
  const [device, tilings] = Object.entries(file.devices)[0] as [string, Record<string, string>];
  assert.match(device, /llvmpipe.*up to 2 tilings a product; \d+ B workgroup memory, \d+ threads/);
  assert.deepEqual(tilings, Object.fromEntries(first.outcome.tuned.map((p) => [p.product, p.chosen])));

  const second = await run();
  assert.match(second.stderr, new RegExp(`6 products known from ${path}`));
  assert.equal(second.outcome.pendingBeforeTuning, false, 'every product comes from the file');
  assert.deepEqual(second.outcome.tuned, []);
  assert.ok(second.outcome.sameAfterTuning);

  writeFileSync(path, '{ not json');
  const third = await run();
  assert.match(third.stderr, /rewind: webgpu tilings file .*tilings\.json: not JSON .*; its products are tuned again/);
  assert.equal(third.outcome.tuned.length, 6);
  assert.equal(Object.keys(JSON.parse(readFileSync(path, 'utf8')).devices[device]).length, 6, 'the file is whole again');
});

test('REWIND_WEBGPU_TUNE: a software adapter is not tuned unless asked, and a wrong value names the allowed ones', async () => {
  const quiet = await runTsx(SCRIPT, ['--no-sweep'], softwareWebgpuEnv({ REWIND_WEBGPU_ALLOW_SOFTWARE: '1', REWIND_WEBGPU_TUNE: undefined, REWIND_WEBGPU_TUNING_FILE: 'none' }));
  assert.equal(quiet.code, 0, quiet.stderr);
  const outcome = JSON.parse(quiet.stdout.trim().split('\n').at(-1)!) as Outcome;
  assert.equal(outcome.pendingBeforeTuning, false);
  assert.deepEqual(outcome.tuned, []);
  assert.doesNotMatch(quiet.stderr, /tilings tuned/);

  const wrong = await runTsx(SCRIPT, ['--no-sweep'], softwareWebgpuEnv({ REWIND_WEBGPU_ALLOW_SOFTWARE: '1', REWIND_WEBGPU_TUNE: 'fast' }));
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /REWIND_WEBGPU_TUNE must be 'on', 'off' or the most tilings to time per product, a positive integer \(got 'fast'\)/);
});
