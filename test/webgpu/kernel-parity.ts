/**
 * Child script: runs the kernel cases (kernel-cases.ts) on the cpu backend and on webgpu with
 * Rewind's WGSL kernels, and prints the worst relative error per case as JSON lines.
 */
import * as tf from '@tensorflow/tfjs-core';
// The cpu backend, and the gradients that initBackend would register: the reference runs before it.
import '@tensorflow/tfjs';
import { initBackend } from '@rewind/engine';
import { CASES, runAll } from './kernel-cases.ts';

await tf.setBackend('cpu');
const reference = await runAll();
const choice = await initBackend('webgpu');
const actual = await runAll();
CASES.forEach((c, i) => {
  let worst = 0;
  reference[i]!.forEach((ref, j) => {
    const got = actual[i]![j]!;
    const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-3);
    for (let e = 0; e < ref.length; e++) worst = Math.max(worst, Math.abs(got[e]! - ref[e]!) / scale);
    if (got.length !== ref.length) worst = Number.POSITIVE_INFINITY;
  });
  console.log(JSON.stringify({ case: c.name, backend: choice.name, outputs: reference[i]!.length, worstRelativeError: worst }));
});
// Which of Rewind's shaders ran, so the test can tell them from tfjs's own kernels.
const compiled = Object.keys((tf.backend() as unknown as { pipelineCache: object }).pipelineCache);
console.log(JSON.stringify({ rewindShaders: [...new Set(compiled.filter((k) => k.startsWith('rewind')).map((k) => k.split('_')[0]!.split('@')[0]))].sort() }));
