/**
 * Child script, on webgpu with REWIND_WEBGPU_TUNE set: runs a few kernel cases, then launches every
 * product they made with tilings the tuner may pick on random inputs, comparing each output bit for
 * bit with the sized tiling's (every block, depth, prefetch and buffering choice at least once per product, every thread
 * layout and pairing of prefetch with buffering at least once: each shader takes long to compile on lavapipe); then tunes, runs the cases again and compares
 * with the first run. Prints one JSON line. `--no-sweep` leaves out the tilings' comparison.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, tuneKernels } from '@rewind/engine';
import { candidateVariants, defaultVariant, gemmTuner, variantName } from '@rewind/webgpu-kernels';
import { CASES, random, runAll } from './kernel-cases.ts';

// Every kind of product (matmul with each transpose, a split inner dimension, conv2d and both gradients, strides and paddings).
const chosen = CASES.filter((c) => /^matMul (70x33x130 tA=true|65x17x66|20x3000x30)|^conv2d x=2,10,10,4/.test(c.name));

await initBackend('webgpu');
const before = await runAll(chosen);

const differing: string[] = [];
const covered = new Set<string>();
/** `product tiling` of every tiling compared. */
const checked: string[] = [];
const sweep = !process.argv.includes('--no-sweep');
for (const { product, inputs } of sweep ? gemmTuner.products : []) {
  const tensors = inputs.map(({ shape }) => tf.tensor(random(shape).values, shape));
  const run = async (v: Parameters<typeof product.launch>[0]) => {
    const out = product.launch(v, tensors);
    const values = (await tf.backend().read(out.dataId)) as Float32Array;
    tf.backend().disposeData(out.dataId);
    return new Uint32Array(values.buffer, values.byteOffset, values.length).join(',');
  };
  const reference = await run(defaultVariant(product.size));
  // Prefetch and two buffers together first, so that one tiling per product covers both.
  const stagings = [[false, false], [true, true], [true, false], [false, true]] as const;
  const tilings = ([8, 16, 32] as const).flatMap((depth) => stagings.flatMap(([prefetch, double]) => candidateVariants(product.size, product.limits, depth, prefetch, double)));
  for (const v of tilings) {
    // Blocks, depths, prefetch and buffers per product (they change how its loaders stage), thread layouts and stagings once over all products.
    const traits = [
      `${product.key} block ${v.rows}x${v.cols}`,
      `${product.key} depth ${v.depth}`,
      `${product.key} prefetch ${v.prefetch}`,
      `${product.key} buffers ${v.doubleBuffered}`,
      `threads ${v.threadCols}x${v.threadRows}`,
      `staging ${v.prefetch} ${v.doubleBuffered}`,
    ];
    if (traits.every((t) => covered.has(t))) continue;
    for (const t of traits) covered.add(t);
    checked.push(`${product.key} ${variantName(v)}`);
    if ((await run(v)) !== reference) differing.push(`${product.key} ${variantName(v)}`);
  }
  tf.dispose(tensors);
}

const pendingBeforeTuning = gemmTuner.pending;
await tuneKernels();
const after = await runAll(chosen);
const same = before.every((outs, i) => outs.every((o, j) => Buffer.from(o.buffer).equals(Buffer.from(after[i]![j]!.buffer))));
console.log(
  JSON.stringify({ products: gemmTuner.products.length, checked, differing, pendingBeforeTuning, tuned: gemmTuner.tuned, sameAfterTuning: same }),
);
